package modelpack

import (
	"fmt"
	"path"
	"strings"
)

// The image form places a model's files under /models, where KServe
// modelcars and image volumes expect them. Which Git directory becomes
// /models is the image root:
//
//   - "" (automatic): the deepest directory that holds every file, so
//     models/m.safetensors alone lands at /models/m.safetensors, and
//     models/a/x with models/b/y at /models/a/x and /models/b/y;
//   - "/": the repository root, so every file keeps its Git path
//     (models/m.safetensors at /models/models/m.safetensors);
//   - a directory such as "models/llama": its files land under /models
//     with that prefix removed, and files outside it are left out of the
//     image form (they stay in the ModelPack artifact).

// CheckImageRoot validates an image root setting and returns it cleaned:
// "", "/", or a relative slash-separated directory without "." or "..".
func CheckImageRoot(root string) (string, error) {
	if root == "" || root == "/" {
		return root, nil
	}
	r := strings.Trim(root, "/")
	if r == "" || path.Clean(r) != r || r == "." || strings.HasPrefix(r, "../") || r == ".." || strings.ContainsAny(r, "\\\x00") {
		return "", fmt.Errorf("image root %q: want a directory of the repository such as models/llama, / for the repository root, or empty for automatic", root)
	}
	return r, nil
}

// ImageFiles maps files to their paths in the image form under root (see
// CheckImageRoot), dropping files outside an explicit root. It returns the
// directory that became /models ("" for the repository root).
func ImageFiles(files []File, root string) ([]File, string) {
	dir := ImageDir(files, root)
	out := make([]File, 0, len(files))
	for _, f := range files {
		if p, ok := ImagePath(f.Path, dir); ok {
			f.Path = p
			out = append(out, f)
		}
	}
	return out, dir
}

// ImageDir returns the Git directory the image form of files places at
// /models under root: "" for the repository root.
func ImageDir(files []File, root string) string {
	switch root {
	case "/":
		return ""
	case "":
		return commonDir(files)
	}
	return root
}

// ImagePath returns where the image form places the file at gitPath, as a
// path under /models, when dir (from ImageDir) is placed there; false if
// the file lies outside dir.
func ImagePath(gitPath, dir string) (string, bool) {
	if dir == "" {
		return gitPath, true
	}
	return strings.CutPrefix(gitPath, dir+"/")
}

// commonDir returns the deepest directory holding every file, "" if that
// is the repository root.
func commonDir(files []File) string {
	if len(files) == 0 {
		return ""
	}
	dir := path.Dir(files[0].Path)
	for _, f := range files[1:] {
		for dir != "." && !strings.HasPrefix(f.Path, dir+"/") {
			dir = path.Dir(dir)
		}
	}
	if dir == "." {
		return ""
	}
	return dir
}
