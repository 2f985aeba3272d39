package pin

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// An edit replaces src[off:end] with text.
type edit struct {
	off, end int
	text     string
}

var errUnsplicable = errors.New("written in a form pin does not rewrite (escapes, block or multi-line scalar, unusual indentation)")

// rewrite returns src with each site i rewritten to refer to next[i],
// unless next[i] is zero. sites are all the sites of src. It checks its
// work by scanning the result: every site must come back, as next says or
// unchanged.
func rewrite(src []byte, sites []Site, next []Ref) ([]byte, []edit, error) {
	t := newText(src)
	var edits []edit
	for i, s := range sites {
		if next[i].Name == "" {
			continue
		}
		es, err := t.rewrite(s, next[i])
		if err != nil {
			return nil, nil, fmt.Errorf("line %d: %s: %w", s.Line, s.Ref, err)
		}
		edits = append(edits, es...)
	}
	slices.SortFunc(edits, func(a, b edit) int { return cmp.Compare(a.off, b.off) })
	out, err := apply(src, edits)
	if err != nil {
		return nil, nil, err
	}
	if err := recheck(out, sites, next); err != nil {
		return nil, nil, err
	}
	return out, edits, nil
}

// rewrite returns the edits that make site s refer to to.
func (t *text) rewrite(s Site, to Ref) ([]edit, error) {
	if s.value != nil {
		sp, ok := t.scalar(s.value)
		if !ok {
			return nil, errUnsplicable
		}
		return []edit{{sp.in, sp.out, to.String()}}, nil
	}
	var edits []edit
	if to.Tag != s.Ref.Tag {
		e, err := t.setScalar(s.tagVal, to.Tag)
		if err != nil {
			return nil, err
		}
		edits = append(edits, e)
	}
	e, err := t.setDigest(s, to.Digest.String())
	return append(edits, e), err
}

// setScalar replaces the value of a scalar, keeping its quotes, and
// quoting a plain value that would otherwise not read as a string
// ("1.10" would be a number).
func (t *text) setScalar(n *yaml.Node, value string) (edit, error) {
	sp, ok := t.scalar(n)
	if !ok {
		return edit{}, errUnsplicable
	}
	if sp.in != sp.start || isPlainString(value) {
		return edit{sp.in, sp.out, value}, nil
	}
	return edit{sp.in, sp.out, `"` + value + `"`}, nil
}

func isPlainString(s string) bool {
	var n yaml.Node
	return yaml.Unmarshal([]byte(s), &n) == nil && len(n.Content) == 1 &&
		n.Content[0].Tag == "!!str" && n.Content[0].Value == s
}

// setDigest sets the digest key of a Kustomize or Helm entry: replaces its
// value, fills it when empty (digest: "", digest: ~, digest:), or adds the
// key after the tag.
func (t *text) setDigest(s Site, d string) (edit, error) {
	switch {
	case s.digestVal == nil:
		return t.addDigest(s, d)
	case isValue(s.digestVal) || s.digestVal.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0:
		return t.setScalar(s.digestVal, d)
	}
	if sp, ok := t.scalar(s.digestVal); ok { // ~ or null
		return edit{sp.start, sp.end, d}, nil
	}
	ks, ok := t.scalar(s.digestKey)
	if !ok || s.digestVal.Value != "" {
		return edit{}, errUnsplicable
	}
	rest := t.src[ks.end:t.ends[s.digestKey.Line-1]]
	colon := bytes.IndexByte(rest, ':')
	if colon < 0 || len(bytes.TrimLeft(rest[:colon], " \t")) > 0 {
		return edit{}, errUnsplicable
	}
	at := ks.end + colon + 1
	return edit{at, at, " " + d}, nil
}

// addDigest adds a digest key after the tag's key and value: ", digest: …"
// in a flow mapping, a line "digest: …" indented like the tag key in a
// block mapping.
func (t *text) addDigest(s Site, d string) (edit, error) {
	vs, ok := t.scalar(s.tagVal)
	if !ok || s.tagKey == nil {
		return edit{}, errUnsplicable
	}
	if s.entry.Style&yaml.FlowStyle != 0 {
		return edit{vs.end, vs.end, ", digest: " + d}, nil
	}
	if s.entry.Content[0].Column != s.tagKey.Column {
		return edit{}, errUnsplicable
	}
	line := s.tagVal.Line
	at := t.ends[line-1]
	indent := strings.Repeat(" ", s.tagKey.Column-1)
	return edit{at, at, t.lineBreak(line) + indent + "digest: " + d}, nil
}

// apply makes edits, sorted by offset and not overlapping, to src.
func apply(src []byte, edits []edit) ([]byte, error) {
	var out bytes.Buffer
	last := 0
	for _, e := range edits {
		if e.off < last || e.end < e.off || e.end > len(src) {
			return nil, errors.New("overlapping edits")
		}
		out.Write(src[last:e.off])
		out.WriteString(e.text)
		last = e.end
	}
	out.Write(src[last:])
	return out.Bytes(), nil
}

// recheck scans the rewritten text and checks that it holds the same
// references, rewritten where asked, and that nothing else moved.
func recheck(out []byte, sites []Site, next []Ref) error {
	after, err := Scan(out)
	if err != nil {
		return fmt.Errorf("pinning would break the file (%v)", err)
	}
	if len(after) != len(sites) {
		return errors.New("pinning would change the file's structure")
	}
	for i, s := range sites {
		want := s.Ref
		if next[i].Name != "" {
			want = next[i]
		}
		if (s.Err == nil) != (after[i].Err == nil) || after[i].Ref.String() != want.String() {
			return fmt.Errorf("pinning would change the file's structure near line %d", s.Line)
		}
	}
	return nil
}
