package pin

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// A Site is one reference found in a file.
type Site struct {
	// Line is the 1-based line of the reference; for Kustomize and Helm
	// entries, the line of their tag.
	Line int
	// Ref is the reference. For Kustomize and Helm entries it is composed
	// from their keys: newName (or name) and newTag, [registry/]repository
	// and tag.
	Ref Ref
	// Err is set when a value in a place that holds references does not
	// parse as one. Ref is then zero.
	Err error

	col   int        // column of the node Line comes from, to order sites
	value *yaml.Node // a string value holding the whole reference

	// For entries whose digest goes under its own key.
	entry     *yaml.Node // the mapping
	tagKey    *yaml.Node // the tag's key, after whose pair a digest key goes
	tagVal    *yaml.Node
	digestKey *yaml.Node // the digest's key and value, when there is one
	digestVal *yaml.Node
}

// SyntaxError reports a file that is not valid YAML.
type SyntaxError struct {
	Line int // 0 when the parser gave no line
	Msg  string
}

func (e *SyntaxError) Error() string { return "invalid YAML: " + e.Msg }

// Scan finds the references in a YAML file of one or more documents, in
// the order they appear.
func Scan(src []byte) (sites []Site, err error) {
	defer func() {
		if r := recover(); r != nil { // yaml.v3 panics on a few malformed inputs
			sites, err = nil, &SyntaxError{Msg: fmt.Sprint(r)}
		}
	}()
	var s scanner
	dec := yaml.NewDecoder(bytes.NewReader(src))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, syntaxError(err)
		}
		s.document(&doc)
	}
	slices.SortStableFunc(s.sites, func(a, b Site) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.col - b.col
	})
	return s.sites, nil
}

var yamlErrLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func syntaxError(err error) *SyntaxError {
	msg := err.Error()
	if m := yamlErrLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &SyntaxError{Line: line, Msg: m[2]}
	}
	return &SyntaxError{Msg: strings.TrimPrefix(msg, "yaml: ")}
}

// scanner collects the sites of the documents of one file.
type scanner struct {
	sites []Site
}

func (s *scanner) document(doc *yaml.Node) {
	if len(doc.Content) == 0 {
		return
	}
	root := doc.Content[0]
	if isKustomization(root) {
		_, images := lookup(root, "images")
		for _, e := range images.Content {
			s.kustomizeImage(e)
		}
	}
	s.walk(root)
}

func (s *scanner) walk(n *yaml.Node) {
	switch n.Kind {
	case yaml.SequenceNode:
		for _, c := range n.Content {
			s.value(c)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			s.pair(n.Content[i], n.Content[i+1])
		}
	}
}

func (s *scanner) pair(k, v *yaml.Node) {
	if k.Kind != yaml.ScalarNode || k.Value != "image" {
		s.value(v)
		return
	}
	switch {
	case isString(v):
		s.reference(v, true)
	case v.Kind == yaml.MappingNode:
		s.imageMap(v)
	default:
		s.walk(v)
	}
}

// value handles a mapping value or a sequence item: an oci:// URI, a
// string marked with a "# ballast:pin" comment, or a collection to walk.
func (s *scanner) value(v *yaml.Node) {
	switch {
	case isString(v) && isMarked(v):
		s.reference(v, true)
	case isString(v) && strings.HasPrefix(v.Value, ociScheme):
		s.reference(v, false)
	default:
		s.walk(v)
	}
}

// reference records a string value holding a whole reference. Unless
// always, an oci:// URI naming neither a tag nor a digest is taken for a
// repository (an Argo CD repoURL, a Flux OCIRepository url), not something
// to pin.
func (s *scanner) reference(v *yaml.Node, always bool) {
	ref, err := ParseRef(v.Value)
	if !always && err == nil && ref.Tag == "" && !ref.Pinned() {
		return
	}
	s.sites = append(s.sites, Site{Line: v.Line, col: v.Column, Ref: ref, Err: err, value: v})
}

// marker, as a line comment, marks any string as a reference to pin: an
// argument of an init container, an environment variable.
const marker = "ballast:pin"

func isMarked(v *yaml.Node) bool {
	c := strings.TrimSpace(strings.TrimLeft(v.LineComment, "#"))
	return c == marker || strings.HasPrefix(c, marker+" ")
}
