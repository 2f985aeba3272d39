package oci

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/ballastml/ballast/store"
)

func TestGetBlob(t *testing.T) {
	e := newEnv(t)
	tok := e.token("alice", "ml/*:read")
	data := bytes.Repeat([]byte("0123456789"), 300)
	d := e.putBlob("ml/x", data)

	for _, method := range []string{"GET", "HEAD"} {
		r := e.do(method, "/v2/ml/x/blobs/"+d.String(), withBasic(tok)).want(t, http.StatusOK)
		h := r.Header
		if h.Get("Content-Length") != strconv.Itoa(len(data)) || h.Get("Docker-Content-Digest") != d.String() ||
			h.Get("Accept-Ranges") != "bytes" || h.Get("Content-Type") != "application/octet-stream" || h.Get("ETag") != `"`+d.String()+`"` {
			t.Fatalf("%s headers %v", method, h)
		}
		if want := map[string][]byte{"GET": data, "HEAD": {}}[method]; !bytes.Equal(r.body, want) {
			t.Fatalf("%s body of %d bytes, want %d", method, len(r.body), len(want))
		}
	}
}

func TestGetBlobSHA512(t *testing.T) {
	e := newEnv(t)
	tok := e.token("alice", "ml/*:write")
	data := []byte("a sha512 blob")
	d := digest.SHA512.FromBytes(data)
	e.do("POST", "/v2/ml/x/blobs/uploads/?digest="+d.String(), withBasic(tok), withBody(data)).want(t, http.StatusCreated)
	r := e.do("GET", "/v2/ml/x/blobs/"+d.String(), withBasic(tok)).want(t, http.StatusOK)
	if !bytes.Equal(r.body, data) || r.Header.Get("Docker-Content-Digest") != d.String() {
		t.Fatalf("body %q, digest %q", r.body, r.Header.Get("Docker-Content-Digest"))
	}
}

func TestGetBlobRange(t *testing.T) {
	e := newEnv(t)
	tok := e.token("alice", "ml/*:read")
	data := bytes.Repeat([]byte("abcdefghij"), 300) // 3000 bytes
	d := e.putBlob("ml/x", data)
	path := "/v2/ml/x/blobs/" + d.String()
	cases := []struct {
		rng, contentRange string
		start, end        int
	}{
		{"bytes=500-1499", "bytes 500-1499/3000", 500, 1500},
		{"bytes=500-", "bytes 500-2999/3000", 500, 3000},
		{"bytes=-500", "bytes 2500-2999/3000", 2500, 3000},
		{"bytes=2000-5000", "bytes 2000-2999/3000", 2000, 3000},
	}
	for _, c := range cases {
		r := e.do("GET", path, withBasic(tok), withHeader("Range", c.rng)).want(t, http.StatusPartialContent)
		if r.Header.Get("Content-Range") != c.contentRange || !bytes.Equal(r.body, data[c.start:c.end]) {
			t.Fatalf("Range %s: Content-Range %q, %d bytes", c.rng, r.Header.Get("Content-Range"), len(r.body))
		}
	}
	for _, rng := range []string{"bytes=500-0", "bytes=5000-10000", "bytes=0-1,5-6", "lines=1-2"} {
		r := e.do("GET", path, withBasic(tok), withHeader("Range", rng)).wantError(t, http.StatusRequestedRangeNotSatisfiable, CodeRangeInvalid)
		if got := r.Header.Get("Content-Range"); got != "bytes */3000" {
			t.Fatalf("Range %s: Content-Range %q", rng, got)
		}
	}
	// If-Range naming another entity sends the whole blob.
	r := e.do("GET", path, withBasic(tok), withHeader("Range", "bytes=0-1"), withHeader("If-Range", `"other"`)).want(t, http.StatusOK)
	if len(r.body) != len(data) {
		t.Fatalf("%d bytes", len(r.body))
	}
}

func TestGetBlobErrors(t *testing.T) {
	e := newEnv(t)
	tok := e.token("alice", "*:read")
	d := e.putBlob("ml/other", []byte("elsewhere"))
	for _, ref := range []string{
		"sha256:nothex",
		"sha256:" + hex.EncodeToString(make([]byte, 31)),
		"SHA256:" + d.Encoded(),
		"sha256:" + string(bytes.ToUpper([]byte(d.Encoded()))),
		"md5:d41d8cd98f00b204e9800998ecf8427e",
		"sha384:" + hex.EncodeToString(make([]byte, 48)),
		"nodigest",
	} {
		e.do("GET", "/v2/ml/x/blobs/"+ref, withBasic(tok)).wantError(t, http.StatusBadRequest, CodeDigestInvalid)
	}
	// Unknown anywhere, and known only in another repository.
	e.do("GET", "/v2/ml/x/blobs/"+digest.FromString("nope").String(), withBasic(tok)).wantError(t, http.StatusNotFound, CodeBlobUnknown)
	e.do("GET", "/v2/ml/x/blobs/"+d.String(), withBasic(tok)).wantError(t, http.StatusNotFound, CodeBlobUnknown)
	e.do("HEAD", "/v2/ml/x/blobs/"+d.String(), withBasic(tok)).want(t, http.StatusNotFound)
}

func TestDeleteBlob(t *testing.T) {
	e := newEnv(t)
	tok := e.token("alice", "ml/*:write")
	data := []byte("to delete")
	d := e.putBlob("ml/x", data)
	e.putBlob("ml/y", data)
	path := "/v2/ml/x/blobs/" + d.String()
	r := e.do("DELETE", path, withBasic(tok)).want(t, http.StatusAccepted)
	if len(r.body) != 0 {
		t.Fatalf("body %q", r.body)
	}
	e.do("HEAD", path, withBasic(tok)).want(t, http.StatusNotFound)
	e.do("DELETE", path, withBasic(tok)).wantError(t, http.StatusNotFound, CodeBlobUnknown)
	e.do("DELETE", "/v2/ml/x/blobs/sha256:bad", withBasic(tok)).wantError(t, http.StatusBadRequest, CodeDigestInvalid)
	// Other repositories keep it.
	e.do("GET", "/v2/ml/y/blobs/"+d.String(), withBasic(tok)).want(t, http.StatusOK)
}

// An object pushed with git-lfs is stored as sha256:<oid>; the same token
// reads it as an OCI blob of the same repository, with no copy.
func TestLFSObjectIsOCIBlob(t *testing.T) {
	e := newEnv(t)
	tok := e.token("alice", "ml/*:read")
	data := []byte("model.safetensors bytes")
	sum := sha256.Sum256(data)
	oid := hex.EncodeToString(sum[:])
	d := digest.NewDigestFromEncoded(digest.SHA256, oid)
	if _, err := e.store.Put(context.Background(), "ml/cat", d, int64(len(data)), bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	r := e.do("GET", "/v2/ml/cat/blobs/sha256:"+oid, withBasic(tok)).want(t, http.StatusOK)
	if !bytes.Equal(r.body, data) {
		t.Fatalf("body %q", r.body)
	}
}

// A read that fails verification mid-stream aborts the connection: the
// client never gets a complete response with wrong bytes. Invariant 2.
func TestGetBlobCorruptAborts(t *testing.T) {
	e := newEnv(t)
	tok := e.token("alice", "ml/*:read")
	data := make([]byte, 4<<20)
	for i := range data {
		data[i] = byte(i * 7 / 5)
	}
	d := e.putBlob("ml/x", data)
	corruptPacks(t, e.backend)

	req, err := http.NewRequest("GET", e.srv.URL+"/v2/ml/x/blobs/"+d.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("u", tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return // aborted before the headers: fine
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	t.Logf("status %d, %d of %d bytes, read error %v", resp.StatusCode, len(got), len(data), err)
	if err == nil && bytes.Equal(got, data) {
		t.Fatal("a corrupt blob was served in full")
	}
	if err == nil && resp.StatusCode == http.StatusOK {
		t.Fatalf("status 200 with %d bytes and no error", len(got))
	}
}

// corruptPacks flips a byte in the middle of every pack object.
func corruptPacks(t *testing.T, b store.Backend) {
	t.Helper()
	ctx := context.Background()
	var names []string
	if err := b.List(ctx, "packs/", func(oi store.ObjectInfo) error { names = append(names, oi.Name); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatal("no packs")
	}
	for _, n := range names {
		rc, err := b.ReadRange(ctx, n, 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		buf, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		buf[len(buf)/2] ^= 0xff
		if err := b.Put(ctx, n, bytes.NewReader(buf)); err != nil {
			t.Fatal(err)
		}
	}
}
