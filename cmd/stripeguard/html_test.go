package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stripeguard/stripeguard/internal/testutil"
)

var updateScreenshot = flag.Bool("update-screenshot", false, "rewrite docs/html-report.png from the browser test")

// screenshotPath is the picture of the HTML report shown in the README.
const screenshotPath = "../../docs/html-report.png"

// The HTML report as a reader meets it: the file the CLI writes for
// testdata/shop, opened from disk in headless Chromium (no server, no
// network), checked against the JSON report of the same scan, then used:
// filters clicked, a search typed, a chart bar clicked, a cross-reference
// followed.
func TestHTMLReportInBrowser(t *testing.T) {
	dir, keys := materialize(t, "../../testdata/shop")
	// The report names the scanned directory: call it shop, as in the README.
	root := filepath.Join(t.TempDir(), "shop")
	if err := os.Rename(dir, root); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	htmlPath, jsonPath := filepath.Join(out, "report.html"), filepath.Join(out, "report.json")
	for _, a := range [][]string{
		{"scan", "--db", sharedDB(t), "--format", "html", "--output", htmlPath, "shop"},
		{"scan", "--db", sharedDB(t), "--format", "json", "--output", jsonPath, "shop"},
	} {
		if _, stderr, code := run(t, filepath.Dir(root), a...); code != 1 {
			t.Fatalf("%v: exit %d (%s)", a, code, stderr)
		}
	}
	page, err := os.ReadFile(htmlPath)
	if err != nil {
		t.Fatal(err)
	}
	for name, k := range keys {
		if bytes.Contains(page, []byte(k)) {
			t.Errorf("the HTML report holds the full key %s", name)
		}
	}
	var doc struct {
		Findings []struct {
			RuleID      string `json:"rule_id"`
			Threat      string `json:"threat"`
			Severity    string `json:"severity"`
			File        string `json:"file"`
			Fingerprint string `json:"fingerprint"`
		}
		Summary struct {
			Total      int
			ByThreat   map[string]map[string]int `json:"by_threat"`
			BySeverity map[string]int            `json:"by_severity"`
		}
		Checklist map[string][]struct{ ID, State string }
	}
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Summary.Total < 8 {
		t.Fatalf("the shop scan should have findings of several threats, got %d", doc.Summary.Total)
	}

	b := testutil.NewBrowser(t, 1280, 1600)
	b.Open("file://" + htmlPath)

	count := func(css string) int {
		t.Helper()
		var n int
		b.Eval("return document.querySelectorAll(arguments[0]).length", &n, css)
		return n
	}
	visible := func(css string) int {
		t.Helper()
		var n int
		b.Eval("return Array.prototype.filter.call(document.querySelectorAll(arguments[0]), function (e) { return !e.hidden && e.offsetParent !== null; }).length", &n, css)
		return n
	}
	shown := func() string {
		t.Helper()
		var s string
		b.Eval(`return document.getElementById("shown-count").textContent`, &s)
		return s
	}

	// The DOM holds exactly the JSON report's findings, per threat and
	// per severity, each under its fingerprint.
	if n := count("article.finding"); n != doc.Summary.Total {
		t.Errorf("DOM has %d findings, JSON %d", n, doc.Summary.Total)
	}
	for threat, bySev := range doc.Summary.ByThreat {
		want := 0
		for _, n := range bySev {
			want += n
		}
		if got := count(fmt.Sprintf("article.finding[data-threat=%q]", threat)); got != want {
			t.Errorf("threat %s: DOM %d findings, JSON %d", threat, got, want)
		}
		if got := count(fmt.Sprintf("section#threat-%s article.finding", threat)); got != want {
			t.Errorf("threat %s: its section holds %d findings, want %d", threat, got, want)
		}
	}
	for sev, want := range doc.Summary.BySeverity {
		if got := count(fmt.Sprintf("article.finding[data-severity=%q]", sev)); got != want {
			t.Errorf("severity %s: DOM %d findings, JSON %d", sev, got, want)
		}
	}
	for _, f := range doc.Findings {
		if count(fmt.Sprintf("article#f-%s[data-rule=%q][data-threat=%q]", f.Fingerprint, f.RuleID, f.Threat)) != 1 {
			t.Errorf("finding %s %s (%s) is not in the page under its fingerprint", f.RuleID, f.File, f.Fingerprint)
		}
	}
	// The checklist: every mitigation of the JSON report, in the same state.
	for threat, items := range doc.Checklist {
		if got := count(fmt.Sprintf("section#threat-%s li.check", threat)); got != len(items) {
			t.Errorf("threat %s: %d checklist items in the page, %d in JSON", threat, got, len(items))
		}
		for _, it := range items {
			if count(fmt.Sprintf("section#threat-%s li.check[data-mitigation=%q][data-state=%q]", threat, it.ID, it.State)) != 1 {
				t.Errorf("mitigation %s: not shown as %s", it.ID, it.State)
			}
		}
	}
	// Code context around located findings, with keys redacted in it.
	if count("pre.context .line.hit") == 0 {
		t.Error("no code context shown")
	}
	var text string
	b.Eval("return document.body.innerText", &text)
	for name, k := range keys {
		if strings.Contains(text, k) {
			t.Errorf("page text shows the full key %s", name)
		}
	}
	// Nothing was fetched: no resource entries, no console errors (a CSP
	// violation or a script error would be one).
	var resources int
	b.Eval(`return performance.getEntriesByType("resource").length`, &resources)
	if resources != 0 {
		t.Errorf("the report fetched %d resources; it must be self-contained", resources)
	}
	for _, l := range b.Log() {
		if strings.HasPrefix(l, "SEVERE") {
			t.Errorf("browser console: %s", l)
		}
	}

	total := fmt.Sprint(doc.Summary.Total)
	if shown() != total {
		t.Fatalf("initially %s shown, want %s", shown(), total)
	}
	// Untick "critical": the critical findings disappear.
	b.Click(`#severity-filter input[value="critical"]`)
	if want := fmt.Sprint(doc.Summary.Total - doc.Summary.BySeverity["critical"]); shown() != want || visible(`article.finding[data-severity="critical"]`) != 0 {
		t.Errorf("without critical: %s shown, want %s", shown(), want)
	}
	b.Click("#reset")
	// Search: findings whose text mentions settings.py.
	b.Type("#search", "settings.py")
	var matches int
	b.Eval(`return Array.prototype.filter.call(document.querySelectorAll("article.finding"), function (e) { return e.textContent.toLowerCase().indexOf("settings.py") >= 0; }).length`, &matches)
	if matches == 0 || shown() != fmt.Sprint(matches) || visible("article.finding") != matches {
		t.Errorf("search settings.py: %s shown (%d visible), want %d", shown(), visible("article.finding"), matches)
	}
	b.Clear("#search")
	b.Click("#reset")
	// File filter.
	byFile := map[string]int{}
	for _, f := range doc.Findings {
		byFile[f.File]++
	}
	b.Click(`#file-filter option[value="requirements.txt"]`)
	if shown() != fmt.Sprint(byFile["requirements.txt"]) {
		t.Errorf("file filter requirements.txt: %s shown, want %d", shown(), byFile["requirements.txt"])
	}
	b.Click("#reset")
	// A chart bar narrows the list to that threat and severity.
	var wf int
	for _, f := range doc.Findings {
		if f.Threat == "webhook-forgery" && f.Severity == "critical" {
			wf++
		}
	}
	if wf > 0 {
		b.Click(`g.chart-row[data-threat="webhook-forgery"] rect.sev-critical`)
		if shown() != fmt.Sprint(wf) || visible(`article.finding[data-threat="key-exposure"]`) != 0 {
			t.Errorf("chart click: %s shown, want %d", shown(), wf)
		}
		var perSection string
		b.Eval(`return document.querySelector("#threat-key-exposure .threat-shown").textContent`, &perSection)
		if perSection != "0" {
			t.Errorf("key-exposure section counter %s, want 0", perSection)
		}
	}
	// A cross-reference to a finding hidden by the filters reveals it.
	b.Click("#reset")
	var target string
	b.Eval(`var a = document.querySelector("a.xref"); return a ? a.getAttribute("href").slice(1) : ""`, &target)
	if target == "" {
		t.Fatal("no link between related findings in the shop report")
	}
	var targetSev string
	b.Eval(`return document.getElementById(arguments[0]).dataset.severity`, &targetSev, target)
	b.Click(fmt.Sprintf(`#severity-filter input[value=%q]`, targetSev))
	b.Click("a.xref")
	var hidden bool
	b.Eval(`return document.getElementById(arguments[0]).hidden`, &hidden, target)
	if hidden {
		t.Errorf("following a link to %s left it hidden", target)
	}
	var hash string
	b.Eval(`return location.hash`, &hash)
	if hash != "#"+target {
		t.Errorf("location.hash = %q, want #%s", hash, target)
	}

	// The README's picture: the top of the report.
	b.Click("#reset")
	b.Eval(`window.scrollTo(0, 0); if (location.hash) history.replaceState(null, "", location.pathname); return null`, nil)
	shot := b.Screenshot()
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	if img.Bounds().Dx() < 1000 {
		t.Errorf("screenshot is %v", img.Bounds())
	}
	if *updateScreenshot {
		if err := os.WriteFile(screenshotPath, shot, 0o644); err != nil {
			t.Fatal(err)
		}
	} else if _, err := os.Stat(screenshotPath); err != nil {
		t.Errorf("%s missing (go test ./cmd/stripeguard -run HTMLReport -update-screenshot): %v", screenshotPath, err)
	}
}
