package modelpack

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func oid(c byte) string { return strings.Repeat(string(c), 64) }

// testFiles is a fixed file list, deliberately out of order.
var testFiles = []File{
	{Path: "models/tokenizer.json", OID: oid('b'), Size: 2048},
	{Path: "README.md", OID: oid('c'), Size: 10},
	{Path: "models/model.safetensors", OID: oid('a'), Size: 1 << 30},
}

var testMeta = Metadata{
	Name:      "ml/cat-classifier",
	Version:   "v1.2.0",
	SourceURL: "https://git.example.com/ml/cat-classifier.git",
	Revision:  "0123456789abcdef0123456789abcdef01234567",
	Created:   time.Date(2025, 3, 4, 5, 6, 7, 0, time.FixedZone("CET", 3600)),
	Authors:   []string{"Ada Lovelace"},
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, got, "", "  "); err != nil {
		t.Fatal(err)
	}
	pretty.WriteByte('\n')
	file := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(file, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pretty.Bytes(), want) {
		t.Errorf("%s differs from the golden file:\n%s", name, pretty.Bytes())
	}
}

func TestModelPackGolden(t *testing.T) {
	a, err := ModelPack(testFiles, testMeta)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "modelpack-manifest.json", a.Manifest)
	golden(t, "modelpack-config.json", a.Config)
	if a.Descriptor.Digest.String() != "sha256:"+sha256hex(a.Manifest) || a.Descriptor.Size != int64(len(a.Manifest)) {
		t.Errorf("manifest descriptor %+v does not describe the manifest", a.Descriptor)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(a.Manifest, &m); err != nil {
		t.Fatal(err)
	}
	if m.Config.Digest != a.ConfigDescriptor.Digest || m.ArtifactType != ArtifactType {
		t.Errorf("manifest config %v, artifactType %q", m.Config, m.ArtifactType)
	}
	for i, want := range []string{"README.md", "models/model.safetensors", "models/tokenizer.json"} {
		l := m.Layers[i]
		if l.Annotations[AnnotationFilepath] != want || l.Annotations[ocispec.AnnotationTitle] != want {
			t.Errorf("layer %d is %v, want %s", i, l.Annotations, want)
		}
	}
	if m.Layers[1].Digest.Encoded() != oid('a') || m.Layers[1].Size != 1<<30 {
		t.Errorf("layer digest %s size %d, want the LFS oid and size", m.Layers[1].Digest, m.Layers[1].Size)
	}
}

func TestModelPackDeterministic(t *testing.T) {
	a, err := ModelPack(testFiles, testMeta)
	if err != nil {
		t.Fatal(err)
	}
	// The same commit, with the files in another order and the time in
	// another zone, is the same artifact.
	meta := testMeta
	meta.Created = meta.Created.UTC()
	b, err := ModelPack([]File{testFiles[2], testFiles[0], testFiles[1]}, meta)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Manifest, b.Manifest) || !bytes.Equal(a.Config, b.Config) {
		t.Fatalf("same input, different artifacts:\n%s\n%s", a.Manifest, b.Manifest)
	}
	meta.Version = ""
	c, err := ModelPack(testFiles, meta)
	if err != nil {
		t.Fatal(err)
	}
	if c.Descriptor.Digest == a.Descriptor.Digest {
		t.Error("a commit artifact has the digest of a tag artifact")
	}
	if strings.Contains(string(c.Manifest), ocispec.AnnotationVersion) {
		t.Errorf("version annotation without a version: %s", c.Manifest)
	}
}

func TestModelPackEmpty(t *testing.T) {
	a, err := ModelPack(nil, Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(a.Manifest), `"layers":[]`) || !strings.Contains(string(a.Config), `"diffIds":[]`) {
		t.Errorf("empty lists must be [], not null:\n%s\n%s", a.Manifest, a.Config)
	}
}

func TestModelPackRejects(t *testing.T) {
	bad := [][]File{
		{{Path: "../x", OID: oid('a')}},
		{{Path: "/x", OID: oid('a')}},
		{{Path: "a//b", OID: oid('a')}},
		{{Path: "a/./b", OID: oid('a')}},
		{{Path: "", OID: oid('a')}},
		{{Path: "x", OID: strings.Repeat("A", 64)}},
		{{Path: "x", OID: oid('a'), Size: -1}},
		{{Path: "x", OID: oid('a')}, {Path: "x", OID: oid('b')}},
	}
	for _, files := range bad {
		if _, err := ModelPack(files, testMeta); err == nil {
			t.Errorf("ModelPack(%v) succeeded", files)
		}
	}
}

func TestLayerMediaType(t *testing.T) {
	cases := map[string]string{
		"model.safetensors":     MediaTypeWeight,
		"x/model.GGUF":          MediaTypeWeight,
		"pytorch_model.bin":     MediaTypeWeight,
		"weights":               MediaTypeWeight,
		"config.json":           MediaTypeWeightConfig,
		"tokenizer.model":       MediaTypeWeightConfig,
		"vocab.txt":             MediaTypeWeightConfig,
		"README.md":             MediaTypeDoc,
		"LICENSE":               MediaTypeDoc,
		"LICENSE.txt":           MediaTypeDoc,
		"notes.txt":             MediaTypeDoc,
		"handler.py":            MediaTypeCode,
		"data/train.parquet":    MediaTypeDataset,
		"data/eval.jsonl":       MediaTypeDataset,
		"chat_template.jinja":   MediaTypeWeightConfig,
		"models/readme.v2.html": MediaTypeDoc,
	}
	for p, want := range cases {
		if got := LayerMediaType(p); got != want {
			t.Errorf("LayerMediaType(%q) = %s, want %s", p, got, want)
		}
	}
}

func TestWeightFormat(t *testing.T) {
	f := func(paths ...string) []File {
		var fs []File
		for _, p := range paths {
			fs = append(fs, File{Path: p})
		}
		return fs
	}
	if got := weightFormat(f("a.safetensors", "b.safetensors", "config.json")); got != "safetensors" {
		t.Errorf("format %q, want safetensors", got)
	}
	if got := weightFormat(f("a.safetensors", "b.gguf")); got != "" {
		t.Errorf("mixed formats gave %q", got)
	}
	if got := weightFormat(f("weights")); got != "" {
		t.Errorf("unknown format gave %q", got)
	}
}

func TestSourceURL(t *testing.T) {
	cases := map[string]string{
		"https://git.example.com/ml/x.git":         "https://git.example.com/ml/x.git",
		"https://user:secret@git.example.com/ml/x": "https://git.example.com/ml/x",
		"http://git.example.com/x":                 "http://git.example.com/x",
		"git@github.com:org/x.git":                 "",
		"ssh://git@github.com/org/x.git":           "",
		"/srv/git/x.git":                           "",
		"file:///srv/git/x.git":                    "",
		"":                                         "",
	}
	for raw, want := range cases {
		if got := SourceURL(raw); got != want {
			t.Errorf("SourceURL(%q) = %q, want %q", raw, got, want)
		}
	}
}
