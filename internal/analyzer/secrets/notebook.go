package secrets

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"sort"
)

// cellSpan is the byte range of one cell's "source" or "outputs" value in
// the raw .ipynb text. Keys are found by scanning the raw text (so line
// numbers point at the JSON line where the string sits); spans then tell
// which cell, and whether the key was typed in or printed by the code.
type cellSpan struct {
	Cell       int // 1-based, in file order
	Start, End int
	Output     bool
}

var errNotNotebook = errors.New("not a notebook: top level is not an object")

// maxNotebookDepth bounds nesting so hostile JSON cannot recurse us deep;
// the skipping below is iterative anyway, this only stops absurd inputs.
const maxNotebookDepth = 10000

// notebookSpans walks the notebook JSON with a streaming decoder and
// records where each cell's source and outputs lie. It reads only the
// structure Jupyter defines (nbformat 4: {"cells": [{"source": …,
// "outputs": […]}]}) and skips everything else without building values.
func notebookSpans(data []byte) ([]cellSpan, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	var spans []cellSpan
	for dec.More() {
		key, err := keyToken(dec)
		if err != nil {
			return spans, err
		}
		if key != "cells" {
			if err := skipValue(dec); err != nil {
				return spans, err
			}
			continue
		}
		if err := expectDelim(dec, '['); err != nil {
			return spans, err
		}
		for cell := 1; dec.More(); cell++ {
			if err := expectDelim(dec, '{'); err != nil {
				return spans, err
			}
			for dec.More() {
				k, err := keyToken(dec)
				if err != nil {
					return spans, err
				}
				start := int(dec.InputOffset())
				if err := skipValue(dec); err != nil {
					return spans, err
				}
				if k == "source" || k == "outputs" {
					spans = append(spans, cellSpan{Cell: cell, Start: start, End: int(dec.InputOffset()), Output: k == "outputs"})
				}
			}
			if err := expectDelim(dec, '}'); err != nil {
				return spans, err
			}
		}
		if err := expectDelim(dec, ']'); err != nil {
			return spans, err
		}
	}
	return spans, nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := t.(json.Delim); !ok || d != want {
		if want == '{' {
			return errNotNotebook
		}
		return errors.New("unexpected notebook structure")
	}
	return nil
}

func keyToken(dec *json.Decoder) (string, error) {
	t, err := dec.Token()
	if err != nil {
		return "", err
	}
	s, ok := t.(string)
	if !ok {
		return "", errors.New("unexpected notebook structure")
	}
	return s, nil
}

// skipValue consumes one JSON value of any shape, iteratively.
func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		t, err := dec.Token()
		if err == io.EOF {
			return io.ErrUnexpectedEOF
		}
		if err != nil {
			return err
		}
		if d, ok := t.(json.Delim); ok {
			switch d {
			case '{', '[':
				depth++
				if depth > maxNotebookDepth {
					return errors.New("notebook nested too deeply")
				}
			default:
				depth--
			}
		}
		if depth == 0 {
			return nil
		}
	}
}

// cellAt returns the span holding offset off, if any. Spans are disjoint
// and in offset order (the decoder reads forward).
func cellAt(spans []cellSpan, off int) (cellSpan, bool) {
	i := sort.Search(len(spans), func(i int) bool { return spans[i].End > off })
	if i < len(spans) && off >= spans[i].Start {
		return spans[i], true
	}
	return cellSpan{}, false
}
