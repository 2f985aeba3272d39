package modelpack

import (
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// File is one Git LFS object of a commit.
type File struct {
	Path string // slash-separated, relative to the repository root
	OID  string // sha256 of the content, 64 lower-case hex digits
	Size int64
}

// Digest is the file's OCI digest: sha256:<oid>.
func (f File) Digest() digest.Digest { return digest.NewDigestFromEncoded(digest.SHA256, f.OID) }

// Metadata says where an artifact comes from. Every field is optional.
type Metadata struct {
	Name      string    // model name: the repository, such as ml/cat-classifier
	Version   string    // the Git tag; empty for a commit's artifact
	SourceURL string    // the Git repository URL, without credentials
	Revision  string    // the commit SHA
	Created   time.Time // the commit time
	Authors   []string  // the commit author
}

// SourceURL returns the Git URL raw as the artifact's source URL: an
// http(s) URL without its user information, or "" for anything else (a
// server-side path, an SSH address), which a client could not fetch.
func SourceURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	u.User = nil
	return u.String()
}

// created is m.Created in RFC 3339 (UTC, whole seconds), or "" if unset.
func (m Metadata) created() string {
	if m.Created.IsZero() {
		return ""
	}
	return m.Created.UTC().Format(time.RFC3339)
}

// annotations are the manifest annotations of m.
// Reference: image-spec annotations.md (pre-defined keys).
func (m Metadata) annotations() map[string]string {
	a := map[string]string{}
	set := func(k, v string) {
		if v != "" {
			a[k] = v
		}
	}
	set(ocispec.AnnotationSource, m.SourceURL)
	set(ocispec.AnnotationRevision, m.Revision)
	set(ocispec.AnnotationVersion, m.Version)
	set(ocispec.AnnotationCreated, m.created())
	if len(a) == 0 {
		return nil
	}
	return a
}

// Artifact is a built manifest and its config.
type Artifact struct {
	Manifest []byte
	Config   []byte
	// Descriptor describes Manifest; ConfigDescriptor describes Config.
	Descriptor       ocispec.Descriptor
	ConfigDescriptor ocispec.Descriptor
	// Layers are the manifest's layers, in order.
	Layers []ocispec.Descriptor
}

// newArtifact marshals config and a manifest over it.
func newArtifact(artifactType, configType string, config any, layers []ocispec.Descriptor, ann map[string]string) (Artifact, error) {
	cb, err := json.Marshal(config)
	if err != nil {
		return Artifact{}, err
	}
	a := Artifact{Config: cb, Layers: layers}
	a.ConfigDescriptor = ocispec.Descriptor{MediaType: configType, Digest: digest.FromBytes(cb), Size: int64(len(cb))}
	m := ocispec.Manifest{
		Versioned:    specs.Versioned{SchemaVersion: 2},
		MediaType:    ocispec.MediaTypeImageManifest,
		ArtifactType: artifactType,
		Config:       a.ConfigDescriptor,
		Layers:       layers,
		Annotations:  ann,
	}
	if a.Manifest, err = json.Marshal(m); err != nil {
		return Artifact{}, err
	}
	a.Descriptor = ocispec.Descriptor{
		MediaType:    ocispec.MediaTypeImageManifest,
		ArtifactType: artifactType,
		Digest:       digest.FromBytes(a.Manifest),
		Size:         int64(len(a.Manifest)),
	}
	return a, nil
}

// sortedFiles checks files and returns them sorted by path.
func sortedFiles(files []File) ([]File, error) {
	out := slices.Clone(files)
	slices.SortFunc(out, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	for i, f := range out {
		if err := f.check(); err != nil {
			return nil, err
		}
		if i > 0 && out[i-1].Path == f.Path {
			return nil, fmt.Errorf("modelpack: path %q appears twice", f.Path)
		}
	}
	return out, nil
}

// check validates a file: a clean relative path that stays inside the
// repository, a sha256 oid and a non-negative size.
func (f File) check() error {
	p := f.Path
	if p == "" || p != path.Clean(p) || path.IsAbs(p) || p == ".." || strings.HasPrefix(p, "../") ||
		strings.ContainsAny(p, "\x00\\") {
		return fmt.Errorf("modelpack: invalid path %q", p)
	}
	if !IsOID(f.OID) {
		return fmt.Errorf("modelpack: %s: invalid oid %q", p, f.OID)
	}
	if f.Size < 0 {
		return fmt.Errorf("modelpack: %s: negative size", p)
	}
	return nil
}

// IsOID reports whether s is a sha256 oid: 64 lower-case hex digits.
func IsOID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
