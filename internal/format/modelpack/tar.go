package modelpack

import (
	"archive/tar"
	"bytes"
	"path"
	"time"
)

// ImageRoot is the directory the image form places files under.
const ImageRoot = "models"

// ModTime is the modification time of every entry of an image layer.
//
// It is constant, not the commit time, so that a layer depends only on
// the file's path and content: an unchanged file is the same layer in
// every version (nodes that already pulled it skip it, and a revert gives
// back the old layer digests), and a publisher can reuse a layer it built
// before instead of hashing the file again. The ModelPack specification
// asks the same of tar layers ("Reproducibility": file metadata set to
// known, constant values). The commit time is in the image config.
var ModTime = time.Unix(0, 0).UTC()

// TarLayer is the uncompressed tar archive placing one file at
// /models/<path>: Header, then the file's bytes, then Trailer. Keeping the
// file's bytes out lets a store build the layer by concatenation, reusing
// the stored file instead of copying it.
type TarLayer struct {
	// Header holds an entry for each directory above the file (mode 0755)
	// and the file's own header (mode 0644), all owned by 0:0 and dated
	// ModTime, in USTAR format, or PAX where a path needs it.
	Header []byte
	// Trailer pads the file's bytes to the 512-byte block and ends the
	// archive with two zero blocks.
	Trailer []byte
	// Size is the size of the whole layer.
	Size int64
}

// NewTarLayer builds the tar layer of f. It produces exactly what
// archive/tar writes for these entries, byte for byte.
func NewTarLayer(f File) (TarLayer, error) {
	if err := f.check(); err != nil {
		return TarLayer{}, err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	name := ImageRoot + "/" + f.Path
	for _, dir := range parents(name) {
		if err := tw.WriteHeader(header(tar.TypeDir, dir+"/", 0o755, 0)); err != nil {
			return TarLayer{}, err
		}
	}
	// WriteHeader writes the header at once; the file's bytes and the
	// padding that would follow are what the caller concatenates.
	if err := tw.WriteHeader(header(tar.TypeReg, name, 0o644, f.Size)); err != nil {
		return TarLayer{}, err
	}
	const block = 512
	pad := (block - f.Size%block) % block
	l := TarLayer{Header: buf.Bytes(), Trailer: make([]byte, pad+2*block)}
	l.Size = int64(len(l.Header)) + f.Size + int64(len(l.Trailer))
	return l, nil
}

func header(typ byte, name string, mode, size int64) *tar.Header {
	return &tar.Header{Typeflag: typ, Name: name, Mode: mode, Size: size, ModTime: ModTime}
}

// parents returns the directories above the slash-separated path p,
// outermost first: "a/b/c" gives "a", "a/b".
func parents(p string) []string {
	var dirs []string
	for d := path.Dir(p); d != "."; d = path.Dir(d) {
		dirs = append(dirs, d)
	}
	for i, j := 0, len(dirs)-1; i < j; i, j = i+1, j-1 {
		dirs[i], dirs[j] = dirs[j], dirs[i]
	}
	return dirs
}
