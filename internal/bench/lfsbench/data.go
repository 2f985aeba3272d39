package main

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// bigSize is the size of the file the throughput sections move.
const bigSize = 1 << 30

// dataFile is a file the run generated, with its sha256 (its Git LFS oid).
type dataFile struct {
	path string
	size int64
	oid  string
}

// randomStream returns an endless stream of incompressible bytes, the
// AES-CTR keystream under a key made from seed. The same seed gives the
// same bytes however the stream is read, and with AES-NI it is several
// times faster than anything it feeds.
func randomStream(seed uint64) io.Reader {
	var key [16]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	block, err := aes.NewCipher(key[:])
	if err != nil {
		panic(err) // a 16-byte key is always valid
	}
	return keystream{cipher.NewCTR(block, make([]byte, aes.BlockSize))}
}

type keystream struct{ s cipher.Stream }

func (k keystream) Read(p []byte) (int, error) {
	clear(p)
	k.s.XORKeyStream(p, p)
	return len(p), nil
}

// ctxReader fails with the context's error once it is cancelled, so long
// copies stop on interrupt.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// writeFile writes the first n bytes of r to path.
func writeFile(ctx context.Context, path string, r io.Reader, n int64) (*dataFile, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	buf := make([]byte, mib)
	_, err = io.CopyBuffer(io.MultiWriter(f, h), ctxReader{ctx, io.LimitReader(r, n)}, buf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return &dataFile{path: path, size: n, oid: hex.EncodeToString(h.Sum(nil))}, nil
}

// sha256Hex hashes the first n bytes of r.
func sha256Hex(ctx context.Context, r io.Reader, n int64) (string, error) {
	h := sha256.New()
	buf := make([]byte, mib)
	if _, err := io.CopyBuffer(h, ctxReader{ctx, io.LimitReader(r, n)}, buf); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// bigFile returns the 1 GiB random file, writing it on first use.
func (b *bench) bigFile() (*dataFile, error) {
	if b.big != nil {
		return b.big, nil
	}
	f, err := writeFile(b.ctx, filepath.Join(b.tmp, "random-1GiB.bin"), randomStream(1), bigSize)
	if err != nil {
		return nil, err
	}
	b.big = f
	return f, nil
}

// linkOrCopy makes dst a hard link to src, or a copy where that fails.
func linkOrCopy(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// dirSize is the apparent size of the regular files below dir, the sum of
// their lengths (what du --apparent-size reports).
func dirSize(dir string) (int64, error) {
	var total int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		total += info.Size()
		return nil
	})
	return total, err
}
