package pin

import (
	"bytes"
	"fmt"
	"strings"
)

// Result is a file after pinning.
type Result struct {
	File    string
	Src     []byte // the file as it was
	Out     []byte // the file pinned; Src when nothing changed
	Changes []Change
	// Skipped are the references left unpinned because their registry
	// could not be reached (Pinner.SkipUnreachable).
	Skipped []Problem

	edits []edit
}

// Changed reports whether pinning changed the file.
func (r *Result) Changed() bool { return len(r.edits) > 0 }

// Diff describes the changes as a unified diff without context lines, one
// hunk per changed line.
func (r *Result) Diff() string {
	if !r.Changed() {
		return ""
	}
	t := newText(r.Src)
	var b strings.Builder
	fmt.Fprintf(&b, "--- %s\n+++ %s\n", r.File, r.File)
	shift := 0 // lines added so far
	for _, h := range hunks(t, r.edits) {
		old := t.src[t.starts[h.line-1]:t.ends[h.line-1]]
		lines := splitLines(h.apply(t))
		fmt.Fprintf(&b, "@@ -%d,1 +%d,%d @@\n-%s\n", h.line, h.line+shift, len(lines), old)
		for _, l := range lines {
			fmt.Fprintf(&b, "+%s\n", l)
		}
		shift += len(lines) - 1
	}
	return b.String()
}

// hunk is the edits of one line.
type hunk struct {
	line  int
	edits []edit
}

// hunks groups edits, sorted by offset, by the line they start on.
func hunks(t *text, edits []edit) []hunk {
	var hs []hunk
	for _, e := range edits {
		line := t.line(e.off)
		if len(hs) == 0 || hs[len(hs)-1].line != line {
			hs = append(hs, hunk{line: line})
		}
		hs[len(hs)-1].edits = append(hs[len(hs)-1].edits, e)
	}
	return hs
}

// apply returns the hunk's line with its edits made.
func (h hunk) apply(t *text) []byte {
	start := t.starts[h.line-1]
	line := t.src[start:t.ends[h.line-1]]
	rel := make([]edit, len(h.edits))
	for i, e := range h.edits {
		rel[i] = edit{e.off - start, e.end - start, e.text}
	}
	out, _ := apply(line, rel)
	return out
}

func splitLines(b []byte) []string {
	var lines []string
	for {
		i := bytes.IndexFunc(b, func(r rune) bool {
			return r == '\n' || r == '\r' || r == '\u0085' || r == '\u2028' || r == '\u2029'
		})
		if i < 0 {
			return append(lines, string(b))
		}
		lines = append(lines, string(b[:i]))
		b = b[i+breakLen(b[i:]):]
	}
}
