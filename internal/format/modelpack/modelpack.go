package modelpack

import (
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// modelConfig is the application/vnd.cncf.model.config.v1+json document.
// Reference: model-spec docs/config.md (descriptor, config and modelfs are
// required; every other field is optional).
type modelConfig struct {
	Descriptor modelDescriptor `json:"descriptor"`
	Config     modelParams     `json:"config"`
	ModelFS    modelFS         `json:"modelfs"`
}

type modelDescriptor struct {
	CreatedAt string   `json:"createdAt,omitempty"`
	Authors   []string `json:"authors,omitempty"`
	Name      string   `json:"name,omitempty"`
	Version   string   `json:"version,omitempty"`
	SourceURL string   `json:"sourceURL,omitempty"`
	Revision  string   `json:"revision,omitempty"`
}

type modelParams struct {
	Format string `json:"format,omitempty"`
}

type modelFS struct {
	Type    string          `json:"type"` // always "layers"
	DiffIDs []digest.Digest `json:"diffIds"`
}

// ModelPack builds the ModelPack artifact of files: one raw layer per file,
// sorted by path, whose digest is the file's LFS oid, annotated with its
// path (org.cncf.model.filepath, and org.opencontainers.image.title, the
// name `oras pull` writes the file under). A raw layer is its own
// uncompressed content, so the config's diffIds are the layer digests.
func ModelPack(files []File, meta Metadata) (Artifact, error) {
	files, err := sortedFiles(files)
	if err != nil {
		return Artifact{}, err
	}
	layers := make([]ocispec.Descriptor, len(files))
	diffIDs := make([]digest.Digest, len(files))
	for i, f := range files {
		layers[i] = ocispec.Descriptor{
			MediaType: LayerMediaType(f.Path),
			Digest:    f.Digest(),
			Size:      f.Size,
			Annotations: map[string]string{
				AnnotationFilepath:      f.Path,
				ocispec.AnnotationTitle: f.Path,
			},
		}
		diffIDs[i] = f.Digest()
	}
	cfg := modelConfig{
		Descriptor: modelDescriptor{
			CreatedAt: meta.created(),
			Authors:   meta.Authors,
			Name:      meta.Name,
			Version:   meta.Version,
			SourceURL: meta.SourceURL,
			Revision:  meta.Revision,
		},
		Config:  modelParams{Format: weightFormat(files)},
		ModelFS: modelFS{Type: "layers", DiffIDs: diffIDs},
	}
	return newArtifact(ArtifactType, MediaTypeConfig, cfg, layers, meta.annotations())
}
