package pin

import "go.yaml.in/yaml/v3"

// imageMap handles an "image:" mapping: a Kubernetes image volume
// (reference, pullPolicy) or Helm values ([registry,] repository, tag,
// digest).
func (s *scanner) imageMap(m *yaml.Node) {
	if _, ref := lookup(m, "reference"); isString(ref) {
		s.reference(ref, true)
		return
	}
	_, repo := lookup(m, "repository")
	if !isString(repo) {
		return
	}
	name := repo.Value
	if _, reg := lookup(m, "registry"); isString(reg) {
		name = reg.Value + "/" + name
	}
	s.keyed(m, name, "tag")
}

// kustomizeImage handles an entry of a kustomization's images list.
func (s *scanner) kustomizeImage(e *yaml.Node) {
	_, name := lookup(e, "newName")
	if !isString(name) {
		_, name = lookup(e, "name")
	}
	if isString(name) {
		s.keyed(e, name.Value, "newTag")
	}
}

// keyed records an entry whose digest goes under a "digest" key next to
// its tag. An entry without a tag takes its tag from elsewhere (the chart,
// the resources) and is skipped, unless it already names a digest.
func (s *scanner) keyed(m *yaml.Node, name, tagKey string) {
	site := Site{entry: m}
	site.tagKey, site.tagVal = lookup(m, tagKey)
	dk, dv := lookup(m, "digest")
	pinned := isValue(dv)
	hasTag := isValue(site.tagVal)
	if !hasTag && !pinned {
		return
	}
	at := dv
	ref := name
	if hasTag {
		at = site.tagVal
		ref += ":" + site.tagVal.Value
	}
	if pinned {
		ref += "@" + dv.Value
	}
	site.digestKey, site.digestVal = dk, dv
	site.Line, site.col = at.Line, at.Column
	site.Ref, site.Err = ParseRef(ref)
	s.sites = append(s.sites, site)
}

// isKustomization reports whether a document is a kustomization (or a
// Kustomize component) with an images list. Kustomization files often
// leave out apiVersion and kind.
func isKustomization(root *yaml.Node) bool {
	_, kind := lookup(root, "kind")
	_, images := lookup(root, "images")
	return images != nil && images.Kind == yaml.SequenceNode &&
		(kind == nil || kind.Value == "Kustomization" || kind.Value == "Component")
}

// lookup returns the key and value nodes of key in mapping m, or nils.
func lookup(m *yaml.Node, key string) (k, v *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key {
			return k, m.Content[i+1]
		}
	}
	return nil, nil
}

// isString reports whether n is a non-empty string.
func isString(n *yaml.Node) bool {
	return n != nil && n.Kind == yaml.ScalarNode && n.Tag == "!!str" && n.Value != ""
}

// isValue reports whether n is a non-empty scalar of any type: a tag may
// be written as a number ("tag: 1.10").
func isValue(n *yaml.Node) bool {
	return n != nil && n.Kind == yaml.ScalarNode && n.Tag != "!!null" && n.Value != ""
}
