package modelpack

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestImage(t *testing.T) {
	layers := []ImageLayer{
		{File: testFiles[0], Digest: digest.FromString("tokenizer tar"), Size: 4096},
		{File: testFiles[2], Digest: digest.FromString("model tar"), Size: 1<<30 + 2048},
	}
	a, err := Image(layers, testMeta)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "image-manifest.json", a.Manifest)
	golden(t, "image-config.json", a.Config)
	var m ocispec.Manifest
	if err := json.Unmarshal(a.Manifest, &m); err != nil {
		t.Fatal(err)
	}
	var cfg ocispec.Image
	if err := json.Unmarshal(a.Config, &cfg); err != nil {
		t.Fatal(err)
	}
	if m.Config.MediaType != ocispec.MediaTypeImageConfig || m.ArtifactType != "" {
		t.Errorf("config media type %s, artifactType %q", m.Config.MediaType, m.ArtifactType)
	}
	if len(cfg.RootFS.DiffIDs) != 2 || cfg.RootFS.DiffIDs[0] != layers[1].Digest || m.Layers[0].Digest != layers[1].Digest {
		t.Errorf("layers not sorted by path or diff_ids differ: %v / %v", cfg.RootFS.DiffIDs, m.Layers)
	}
	if m.Layers[0].MediaType != ocispec.MediaTypeImageLayer || cfg.OS != "linux" {
		t.Errorf("layer media type %s, os %s", m.Layers[0].MediaType, cfg.OS)
	}
	b, _ := Image([]ImageLayer{layers[1], layers[0]}, testMeta)
	if !bytes.Equal(a.Manifest, b.Manifest) {
		t.Error("layer order changed the image")
	}
}
