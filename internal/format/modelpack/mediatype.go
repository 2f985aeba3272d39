package modelpack

import (
	"path"
	"strings"
)

// Media types and annotation keys of the ModelPack specification.
// Reference: model-spec specs-go/v1/mediatype.go and annotations.go.
const (
	ArtifactType    = "application/vnd.cncf.model.manifest.v1+json"
	MediaTypeConfig = "application/vnd.cncf.model.config.v1+json"

	// Raw layers: the unarchived, uncompressed file itself.
	MediaTypeWeight       = "application/vnd.cncf.model.weight.v1.raw"
	MediaTypeWeightConfig = "application/vnd.cncf.model.weight.config.v1.raw"
	MediaTypeDoc          = "application/vnd.cncf.model.doc.v1.raw"
	MediaTypeCode         = "application/vnd.cncf.model.code.v1.raw"
	MediaTypeDataset      = "application/vnd.cncf.model.dataset.v1.raw"

	AnnotationFilepath = "org.cncf.model.filepath"
)

// kinds maps a lower-case file extension to the layer media type of files
// that have it. Anything not listed is a weight: what Git LFS tracks in a
// model repository is mostly weights.
var kinds = map[string]string{
	// Tokenizer and model configuration.
	".json": MediaTypeWeightConfig, ".yaml": MediaTypeWeightConfig, ".yml": MediaTypeWeightConfig,
	".toml": MediaTypeWeightConfig, ".ini": MediaTypeWeightConfig, ".cfg": MediaTypeWeightConfig,
	".conf": MediaTypeWeightConfig, ".jinja": MediaTypeWeightConfig, ".model": MediaTypeWeightConfig,
	".tiktoken": MediaTypeWeightConfig, ".vocab": MediaTypeWeightConfig, ".merges": MediaTypeWeightConfig,
	// Documentation.
	".md": MediaTypeDoc, ".rst": MediaTypeDoc, ".pdf": MediaTypeDoc, ".html": MediaTypeDoc,
	".txt": MediaTypeDoc, ".png": MediaTypeDoc, ".jpg": MediaTypeDoc, ".svg": MediaTypeDoc,
	// Code.
	".py": MediaTypeCode, ".ipynb": MediaTypeCode, ".sh": MediaTypeCode, ".js": MediaTypeCode,
	".ts": MediaTypeCode, ".go": MediaTypeCode, ".rs": MediaTypeCode, ".c": MediaTypeCode,
	".cc": MediaTypeCode, ".cpp": MediaTypeCode, ".h": MediaTypeCode, ".java": MediaTypeCode,
	".r": MediaTypeCode, ".jl": MediaTypeCode,
	// Data sets.
	".csv": MediaTypeDataset, ".tsv": MediaTypeDataset, ".parquet": MediaTypeDataset,
	".jsonl": MediaTypeDataset, ".arrow": MediaTypeDataset, ".tfrecord": MediaTypeDataset,
}

// docNames are file names (without extension) that are documentation
// whatever their extension: README, LICENSE.txt, NOTICE.
var docNames = []string{"readme", "license", "licence", "notice", "copying", "authors", "changelog"}

// LayerMediaType returns the raw ModelPack layer media type of the file at
// p, decided by its name: documentation (README*, LICENSE*, .md, .txt, …),
// tokenizer and model configuration (.json, .yaml, .jinja, .model,
// vocab/merges .txt, …), code (.py, .sh, …), data sets (.csv, .parquet,
// .jsonl, …), and weights for everything else (.safetensors, .gguf, .onnx,
// .pt, .bin, …).
func LayerMediaType(p string) string {
	base := strings.ToLower(path.Base(p))
	ext := path.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	for _, n := range docNames {
		if stem == n {
			return MediaTypeDoc
		}
	}
	if ext == ".txt" && (strings.Contains(stem, "vocab") || strings.Contains(stem, "merges")) {
		return MediaTypeWeightConfig
	}
	if mt, ok := kinds[ext]; ok {
		return mt
	}
	return MediaTypeWeight
}

// formats maps weight file extensions to the config's "format" value.
var formats = map[string]string{
	".safetensors": "safetensors", ".gguf": "gguf", ".onnx": "onnx",
	".pt": "pytorch", ".pth": "pytorch", ".ckpt": "pytorch",
	".pb": "tensorflow", ".tflite": "tflite", ".h5": "keras", ".keras": "keras",
}

// weightFormat returns the format shared by every weight file of files, or
// "" if there is none or they disagree.
func weightFormat(files []File) string {
	format := ""
	for _, f := range files {
		if LayerMediaType(f.Path) != MediaTypeWeight {
			continue
		}
		ff := formats[strings.ToLower(path.Ext(f.Path))]
		if ff == "" || format != "" && ff != format {
			return ""
		}
		format = ff
	}
	return format
}
