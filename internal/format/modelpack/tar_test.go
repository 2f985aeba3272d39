package modelpack

import (
	"archive/tar"
	"bytes"
	"crypto/rand"
	"io"
	"strings"
	"testing"
)

// archiveTar is what archive/tar writes for the entries of f's layer.
func archiveTar(t *testing.T, f File, content []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	name := ImageRoot + "/" + f.Path
	for _, d := range parents(name) {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755, ModTime: ModTime}); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: f.Size, ModTime: ModTime}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write(content); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func layerBytes(l TarLayer, content []byte) []byte {
	return bytes.Join([][]byte{l.Header, content, l.Trailer}, nil)
}

func TestTarLayerEqualsArchiveTar(t *testing.T) {
	long := strings.Repeat("d", 90) + "/" + strings.Repeat("e", 90) + "/" + strings.Repeat("f", 120) + ".safetensors"
	for _, p := range []string{"model.bin", "a/b/c.onnx", long, "ünïcode/模型.gguf"} {
		for _, size := range []int{0, 1, 511, 512, 513, 3000} {
			content := make([]byte, size)
			rand.Read(content)
			f := File{Path: p, OID: sha256hex(content), Size: int64(size)}
			l, err := NewTarLayer(f)
			if err != nil {
				t.Fatal(err)
			}
			got := layerBytes(l, content)
			if want := archiveTar(t, f, content); !bytes.Equal(got, want) {
				t.Fatalf("%s (%d bytes): layer differs from archive/tar output", p, size)
			}
			if int64(len(got)) != l.Size {
				t.Fatalf("Size %d, layer has %d bytes", l.Size, len(got))
			}
		}
	}
}

func TestTarLayerReads(t *testing.T) {
	long := strings.Repeat("x", 200) + "/" + strings.Repeat("y", 150) + ".bin"
	content := []byte("weights")
	f := File{Path: long, OID: sha256hex(content), Size: int64(len(content))}
	l, err := NewTarLayer(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(bytes.NewReader(layerBytes(l, content)))
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if h.Uid != 0 || h.Gid != 0 || !h.ModTime.Equal(ModTime) {
			t.Errorf("%s: uid %d gid %d mtime %v", h.Name, h.Uid, h.Gid, h.ModTime)
		}
		if h.Typeflag == tar.TypeReg {
			b, _ := io.ReadAll(tr)
			if h.Name != "models/"+long || h.Mode != 0o644 || !bytes.Equal(b, content) {
				t.Errorf("file entry %q mode %o content %q", h.Name, h.Mode, b)
			}
			if h.Format != tar.FormatPAX {
				t.Errorf("a %d-character name was written as %v, want PAX", len(h.Name), h.Format)
			}
		} else if h.Mode != 0o755 {
			t.Errorf("directory %s has mode %o", h.Name, h.Mode)
		}
	}
	want := []string{"models/", "models/" + strings.Repeat("x", 200) + "/", "models/" + long}
	if strings.Join(names, "|") != strings.Join(want, "|") {
		t.Errorf("entries %q, want %q", names, want)
	}
}

func TestTarLayerDeterministic(t *testing.T) {
	f := File{Path: "models/a.bin", OID: oid('a'), Size: 100}
	a, _ := NewTarLayer(f)
	b, _ := NewTarLayer(f)
	if !bytes.Equal(a.Header, b.Header) || !bytes.Equal(a.Trailer, b.Trailer) {
		t.Error("the same file gave two different layers")
	}
	if _, err := NewTarLayer(File{Path: "../etc/passwd", OID: oid('a')}); err == nil {
		t.Error("a path escaping the root was accepted")
	}
}
