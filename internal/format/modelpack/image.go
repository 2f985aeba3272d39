package modelpack

import (
	"fmt"
	"slices"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Image platform. A runtime pulling a manifest that is not in an index
// does not filter it by platform (containerd and CRI-O accept it on any
// architecture), and an image volume runs nothing from it, so the image
// serves every node; the values only make the config a valid image config.
const (
	ImageOS           = "linux"
	ImageArchitecture = "amd64"
)

// ImageLayer is a file's stored tar layer (see NewTarLayer).
type ImageLayer struct {
	File   File
	Digest digest.Digest // sha256 of the whole tar layer
	Size   int64         // size of the whole tar layer
}

// Image builds the image-compatible form: an OCI image whose layers are the
// files' uncompressed tar layers, sorted by path, with an image config that
// containerd accepts for image volumes (rootfs diff_ids equal to the layer
// digests, as the layers are uncompressed).
// Reference: image-spec manifest.md, config.md, layer.md.
func Image(layers []ImageLayer, meta Metadata) (Artifact, error) {
	layers = slices.Clone(layers)
	slices.SortFunc(layers, func(a, b ImageLayer) int { return strings.Compare(a.File.Path, b.File.Path) })
	descs := make([]ocispec.Descriptor, len(layers))
	diffIDs := make([]digest.Digest, len(layers))
	for i, l := range layers {
		if err := l.File.check(); err != nil {
			return Artifact{}, err
		}
		if i > 0 && layers[i-1].File.Path == l.File.Path {
			return Artifact{}, fmt.Errorf("modelpack: path %q appears twice", l.File.Path)
		}
		if err := l.Digest.Validate(); err != nil {
			return Artifact{}, fmt.Errorf("modelpack: %s: layer digest: %w", l.File.Path, err)
		}
		descs[i] = ocispec.Descriptor{
			MediaType:   ocispec.MediaTypeImageLayer,
			Digest:      l.Digest,
			Size:        l.Size,
			Annotations: map[string]string{AnnotationFilepath: l.File.Path},
		}
		diffIDs[i] = l.Digest
	}
	cfg := ocispec.Image{
		Platform: ocispec.Platform{Architecture: ImageArchitecture, OS: ImageOS},
		Config:   ocispec.ImageConfig{Labels: meta.annotations()},
		RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: diffIDs},
	}
	if !meta.Created.IsZero() {
		t := meta.Created.UTC().Truncate(1e9)
		cfg.Created = &t
	}
	return newArtifact("", ocispec.MediaTypeImageConfig, cfg, descs, meta.annotations())
}
