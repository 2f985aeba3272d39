package modelpack

import (
	"slices"
	"testing"
)

func TestImageFiles(t *testing.T) {
	files := func(paths ...string) []File {
		var fs []File
		for _, p := range paths {
			fs = append(fs, File{Path: p, OID: sha256hex([]byte(p)), Size: 1})
		}
		return fs
	}
	tests := []struct {
		name, root string
		in         []string
		want       []string
		dir        string
	}{
		{"one file in a folder", "", []string{"models/m.safetensors"}, []string{"m.safetensors"}, "models"},
		{"a model's folder", "", []string{"models/llama/config.json", "models/llama/model.safetensors"}, []string{"config.json", "model.safetensors"}, "models/llama"},
		{"two folders", "", []string{"models/a/x.onnx", "models/b/y.onnx"}, []string{"a/x.onnx", "b/y.onnx"}, "models"},
		{"a file at the root", "", []string{"README.md", "models/m.onnx"}, []string{"README.md", "models/m.onnx"}, ""},
		{"a prefix that is no directory", "", []string{"models/ab/x", "models/a/y"}, []string{"a/y", "ab/x"}, "models"},
		{"keep Git paths", "/", []string{"models/m.safetensors"}, []string{"models/m.safetensors"}, ""},
		{"an explicit root", "models/a", []string{"models/a/x.onnx", "models/ab/y.onnx", "docs/z"}, []string{"x.onnx"}, "models/a"},
		{"nothing", "", nil, nil, ""},
	}
	for _, tt := range tests {
		got, dir := ImageFiles(files(tt.in...), tt.root)
		var paths []string
		for _, f := range got {
			paths = append(paths, f.Path)
		}
		slices.Sort(paths)
		if !slices.Equal(paths, tt.want) || dir != tt.dir {
			t.Errorf("%s: ImageFiles(%v, %q) = %v, %q; want %v, %q", tt.name, tt.in, tt.root, paths, dir, tt.want, tt.dir)
		}
	}
}

func TestCheckImageRoot(t *testing.T) {
	for in, want := range map[string]string{"": "", "/": "/", "models": "models", "/models/llama/": "models/llama"} {
		if got, err := CheckImageRoot(in); err != nil || got != want {
			t.Errorf("CheckImageRoot(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"..", "../x", "a/../b", "a//b", "./a", "a\\b", "//"} {
		if _, err := CheckImageRoot(bad); err == nil {
			t.Errorf("CheckImageRoot(%q) accepted it", bad)
		}
	}
}
