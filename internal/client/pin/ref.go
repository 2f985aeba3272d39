package pin

import (
	_ "crypto/sha256" // digest algorithms a reference may name
	_ "crypto/sha512"
	"errors"
	"fmt"
	"strings"

	"github.com/opencontainers/go-digest"
	"oras.land/oras-go/v2/registry"
)

// ociScheme prefixes references used as URIs (KServe storageUri, Helm charts).
const ociScheme = "oci://"

// Ref is an OCI reference as a file spells it.
type Ref struct {
	Scheme string        // "oci://" or empty
	Name   string        // as written, without tag or digest: "registry.example.com/ml/x" or "nginx"
	Tag    string        // empty when the reference names no tag
	Digest digest.Digest // empty when the reference is not pinned

	// repo is Name made absolute the way Docker and Kubernetes read it:
	// "nginx" is "docker.io/library/nginx".
	repo registry.Reference
}

// ParseRef parses a reference such as "registry.example.com/ml/x:v1",
// "oci://registry.example.com/ml/x:v1@sha256:…" or "nginx:1.27". It checks
// the result with oras-go's reference grammar.
func ParseRef(s string) (Ref, error) {
	var r Ref
	rest := s
	if strings.HasPrefix(rest, ociScheme) {
		r.Scheme, rest = ociScheme, rest[len(ociScheme):]
	}
	if i := strings.IndexByte(rest, '@'); i >= 0 {
		d, err := digest.Parse(rest[i+1:])
		if err != nil {
			return Ref{}, fmt.Errorf("invalid reference %q: bad digest: %v", s, err)
		}
		r.Digest, rest = d, rest[:i]
	}
	if i := strings.LastIndexByte(rest, ':'); i > strings.LastIndexByte(rest, '/') {
		r.Tag, rest = rest[i+1:], rest[:i]
		if r.Tag == "" {
			return Ref{}, fmt.Errorf("invalid reference %q: empty tag", s)
		}
	}
	r.Name = rest
	full := rest
	if r.Scheme == "" {
		full = absolute(rest)
	}
	if r.Tag != "" {
		full += ":" + r.Tag
	}
	repo, err := registry.ParseReference(full)
	if err != nil {
		return Ref{}, fmt.Errorf("invalid reference %q: %v", s, errors.Unwrap(err))
	}
	repo.Reference = ""
	r.repo = repo
	return r, nil
}

// absolute makes a Docker Hub short name absolute: a first path component
// is a registry host when it has a dot or a port or is "localhost", as in
// Docker and Kubernetes, and official images live under "library/".
func absolute(name string) string {
	host, path, found := strings.Cut(name, "/")
	if !found || !(strings.ContainsAny(host, ".:") || host == "localhost") {
		host, path = "docker.io", name
	}
	if host == "docker.io" && !strings.Contains(path, "/") {
		path = "library/" + path
	}
	return host + "/" + path
}

// String returns the reference as a file spells it.
func (r Ref) String() string {
	s := r.Scheme + r.Name
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest.String()
	}
	return s
}

// Pinned reports whether the reference names a digest.
func (r Ref) Pinned() bool { return r.Digest != "" }

// Repository is the registry and repository the reference resolves
// against, e.g. "docker.io/library/nginx".
func (r Ref) Repository() string { return r.repo.Registry + "/" + r.repo.Repository }

// Registry is the host (and port) of the registry.
func (r Ref) Registry() string { return r.repo.Registry }

// Query is what to ask the registry for: the tag, else the digest, else
// "latest", the tag Kubernetes pulls when none is written.
func (r Ref) Query() string {
	switch {
	case r.Tag != "":
		return r.Tag
	case r.Digest != "":
		return r.Digest.String()
	}
	return "latest"
}

// withDigest returns the reference pinned to d, keeping the tag unless
// dropTag.
func (r Ref) withDigest(d digest.Digest, dropTag bool) Ref {
	r.Digest = d
	if dropTag {
		r.Tag = ""
	}
	return r
}
