package pin

import (
	"bytes"
	"slices"
	"unicode/utf8"
)

// text maps the line and column positions yaml.v3 reports to byte offsets
// in the original bytes, so that edits can be spliced into them.
type text struct {
	src    []byte
	starts []int // starts[i] is the offset where line i+1 starts
	ends   []int // ends[i] is the offset of the line break ending line i+1
}

var bom = []byte("\uFEFF")

func newText(src []byte) *text {
	t := &text{src: src, starts: []int{0}}
	if bytes.HasPrefix(src, bom) {
		t.starts[0] = len(bom) // yaml.v3 does not count the BOM as a column
	}
	for i := t.starts[0]; i < len(src); {
		n := breakLen(src[i:])
		if n == 0 {
			i++
			continue
		}
		t.ends = append(t.ends, i)
		i += n
		t.starts = append(t.starts, i)
	}
	t.ends = append(t.ends, len(src))
	return t
}

// breakLen returns the length of the line break b starts with, or 0. YAML
// 1.1, and so yaml.v3, also breaks lines at NEL, LS and PS.
func breakLen(b []byte) int {
	switch {
	case bytes.HasPrefix(b, []byte("\r\n")):
		return 2
	case b[0] == '\r' || b[0] == '\n':
		return 1
	case bytes.HasPrefix(b, []byte("\u0085")):
		return 2
	case bytes.HasPrefix(b, []byte("\u2028")), bytes.HasPrefix(b, []byte("\u2029")):
		return 3
	}
	return 0
}

// offset returns the byte offset of a 1-based line and column, the column
// counted in characters as yaml.v3 counts it.
func (t *text) offset(line, col int) (int, bool) {
	if line < 1 || line > len(t.starts) || col < 1 {
		return 0, false
	}
	off, end := t.starts[line-1], t.ends[line-1]
	for range col - 1 {
		if off >= end {
			return 0, false
		}
		_, n := utf8.DecodeRune(t.src[off:end])
		off += n
	}
	return off, true
}

// line returns the 1-based line holding offset off.
func (t *text) line(off int) int {
	i, found := slices.BinarySearch(t.starts, off)
	if found {
		return i + 1
	}
	return i
}

// lineBreak returns the line break ending line, or the text's first line
// break (LF if none) for the last line.
func (t *text) lineBreak(line int) string {
	if line >= len(t.starts) {
		line = 1
		if len(t.starts) == 1 {
			return "\n"
		}
	}
	return string(t.src[t.ends[line-1]:t.starts[line]])
}
