// Package baseline records accepted findings by fingerprint so that a scan
// can report only new ones (adopting stripeguard on an existing codebase).
package baseline

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/stripeguard/stripeguard/internal/atomicfile"
	"github.com/stripeguard/stripeguard/internal/finding"
)

// Version of the baseline file format.
const Version = 1

// File is the on-disk form. Entries keep rule and file so a reviewer can
// read what was accepted; only fingerprints are matched.
type File struct {
	Version int     `json:"version"`
	Entries []Entry `json:"findings"`
}

// Entry is one accepted finding.
type Entry struct {
	Fingerprint string `json:"fingerprint"`
	RuleID      string `json:"rule_id"`
	File        string `json:"file,omitempty"`
}

// Load reads a baseline and returns its fingerprints.
func Load(path string) (map[string]bool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("baseline: %v", err)
	}
	var f File
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("baseline %s: %v", path, err)
	}
	if f.Version != Version {
		return nil, fmt.Errorf("baseline %s: unsupported version %d (want %d)", path, f.Version, Version)
	}
	m := make(map[string]bool, len(f.Entries))
	for _, e := range f.Entries {
		m[e.Fingerprint] = true
	}
	return m, nil
}

// Write records findings atomically (temp file + rename).
func Write(path string, fs []*finding.Finding) error {
	f := File{Version: Version, Entries: []Entry{}}
	for _, x := range fs {
		f.Entries = append(f.Entries, Entry{Fingerprint: x.Fingerprint, RuleID: x.RuleID, File: x.File})
	}
	sort.Slice(f.Entries, func(i, j int) bool { return f.Entries[i].Fingerprint < f.Entries[j].Fingerprint })
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		_, err := w.Write(append(data, '\n'))
		return err
	})
}
