package pin

import (
	"bytes"

	"go.yaml.in/yaml/v3"
)

// span is where a scalar is written: src[start:end], its value (inside any
// quotes) at src[in:out].
type span struct{ start, end, in, out int }

// scalar locates a scalar written on one line and checks that the bytes
// there spell exactly its value. It refuses what it cannot vouch for:
// escapes, block scalars, plain scalars folded over several lines, empty
// plain scalars.
func (t *text) scalar(n *yaml.Node) (span, bool) {
	if n == nil || n.Kind != yaml.ScalarNode {
		return span{}, false
	}
	off, ok := t.offset(n.Line, n.Column)
	if !ok {
		return span{}, false
	}
	end := t.ends[n.Line-1]
	off = skipProperties(t.src[:end], off)
	var quote string
	switch n.Style &^ yaml.TaggedStyle {
	case 0:
		if n.Value == "" {
			return span{}, false
		}
	case yaml.DoubleQuotedStyle:
		quote = `"`
	case yaml.SingleQuotedStyle:
		quote = `'`
	default:
		return span{}, false
	}
	raw := quote + n.Value + quote
	if !bytes.HasPrefix(t.src[off:end], []byte(raw)) {
		return span{}, false
	}
	q := len(quote)
	return span{off, off + len(raw), off + q, off + len(raw) - q}, true
}

// skipProperties skips the anchor ("&name") and tag ("!!str") a node may be
// written with: yaml.v3 reports the node's position as theirs.
func skipProperties(line []byte, off int) int {
	for off < len(line) && (line[off] == '&' || line[off] == '!') {
		for off < len(line) && line[off] != ' ' && line[off] != '\t' {
			off++
		}
		for off < len(line) && (line[off] == ' ' || line[off] == '\t') {
			off++
		}
	}
	return off
}
