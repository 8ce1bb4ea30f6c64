package pydeps

import (
	"strings"
	"testing"
)

// TestNotRequirementsFiles: text chosen for its name alone that is not a
// requirements file (pasted notes, a YAML workflow, Markdown) gives one
// warning and no packages; a real requirements file broken further down
// keeps its entries and per-line warnings, and a file that a pip command
// names is always read as one.
func TestNotRequirementsFiles(t *testing.T) {
	notes := "Core Requirements\n\nSubject Tagging for New Chats\n\nWhen a student starts a new chat, prompt them.\n\nMathematics\n\nScience\n\nStore this tag as metadata.\n"
	yaml := "name: CI\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
	markdown := "# Requirements\n\n- Python 3.11\n- Django 5.0\n- a Stripe account\n"
	broken := "django==5.0\nstripe==11.1.0\n<<<<<<< HEAD\nrequests==2.32.3\n=======\nrequests==2.31.0\n>>>>>>> main\n"
	tests := []struct {
		name, rel, data string
		byPip           bool
		reqs            int  // requirements kept
		skipped         bool // one "not one" warning
	}{
		{"pasted notes", "attached_assets/Pasted-Core-Requirements-Subject-Tagging-1762566594514.txt", notes, false, 0, true},
		{"yaml workflow", ".github/workflows/requirements.txt", yaml, false, 0, true},
		{"yaml of url patterns", ".github/workflows/requirements.txt", yaml + "      PATTERNS=(\n        \"postgresql://[^:]+:[^@]+@\"\n        \"mysql://[^:]+:[^@]+@\"\n      )\n", false, 0, true},
		{"direct references", "requirements-vendor.txt", "name: vendored\nsee below\n./wheels/stripe-11.1.0-py3-none-any.whl\nhttps://example.com/pkgs/requests-2.32.3.tar.gz\n!!!\n", false, 2, false},
		// pip reads "- Python 3.11" as stray option words and ignores
		// them: nothing listed, nothing to warn about.
		{"markdown list", "docs/requirements.txt", markdown, false, 0, false},
		// Twins.
		{"merge conflict", "requirements.txt", broken, false, 4, false},
		{"named by pip -r", "deploy/packages.txt", notes, true, 2, false},
		{"short notes", "requirements-notes.txt", "see README\n", false, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var res Result
			if tt.byPip {
				res = ParseRequirements(tt.rel, []byte(tt.data), nil, Options{})
			} else {
				res = Parse(tt.rel, []byte(tt.data), nil, Options{})
			}
			if len(res.Requirements) != tt.reqs {
				t.Errorf("%d requirements, want %d: %+v", len(res.Requirements), tt.reqs, res.Requirements)
			}
			skipped := len(res.Warnings) == 1 && strings.Contains(res.Warnings[0].Message, "named like a requirements file but is not one")
			if skipped != tt.skipped {
				t.Errorf("skipped=%v, want %v; warnings: %+v", skipped, tt.skipped, res.Warnings)
			}
			if tt.skipped && res.Warnings[0].Line == 0 {
				t.Errorf("warning without the first refused line: %+v", res.Warnings[0])
			}
		})
	}
}

// TestBrokenRequirementsKept: a requirements file broken from its first
// line on, with real entries between the broken ones, is read line by
// line (pip's verdict per line), not dismissed as prose.
func TestBrokenRequirementsKept(t *testing.T) {
	res := Parse("requirements.txt", []byte("stripe>=>2\nrequests==2.30.0\n\x01garbage ;;; [\nflask @ \n"), nil, Options{})
	if len(res.Requirements) != 1 || res.Requirements[0].Name != "requests" || len(res.Warnings) != 3 {
		t.Errorf("requirements %+v warnings %+v", res.Requirements, res.Warnings)
	}
}
