package oci

import (
	"bytes"
	"math/rand/v2"
	"net/http"
	"strings"
	"syscall"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/ballastml/ballast/store/faulty"
	"github.com/ballastml/ballast/store/memory"
)

func randomData(seed byte, n int) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{seed}).Read(b)
	return b
}

// A full backend answers every upload with 507 INSUFFICIENT_STORAGE and a
// message that names no server path; uploads work again once there is
// room.
func TestUploadsOnFullBackend(t *testing.T) {
	fb := faulty.Wrap(memory.New())
	e := newEnv(t, withBackend(fb))
	tok := e.token("alice", "ml/*:write")
	data := randomData(1, 300<<10)
	d := digest.FromBytes(data)
	noPath := func(r reply) {
		t.Helper()
		if strings.Contains(string(r.body), "/") {
			t.Fatalf("the error names a path: %s", r.body)
		}
	}
	fb.FailPutAfterBytes(1000, syscall.ENOSPC)

	noPath(e.do("POST", "/v2/ml/x/blobs/uploads/?digest="+d.String(), withBasic(tok), withBody(data)).
		wantError(t, http.StatusInsufficientStorage, CodeInsufficientStorage))

	loc := e.do("POST", "/v2/ml/x/blobs/uploads/", withBasic(tok)).want(t, http.StatusAccepted).Header.Get("Location")
	noPath(e.do("PATCH", loc, withBasic(tok), withBody(data), withHeader("Content-Type", "application/octet-stream")).
		wantError(t, http.StatusInsufficientStorage, CodeInsufficientStorage))

	fb.Reset()
	e.do("POST", "/v2/ml/x/blobs/uploads/?digest="+d.String(), withBasic(tok), withBody(data)).want(t, http.StatusCreated)
}

// A blob whose stored bytes went bad is missing to pushers (HEAD 404, so
// they push it again, which repairs it) and a clean 500 to pullers.
func TestDamagedBlobIsRepairedByAPush(t *testing.T) {
	e := newEnv(t)
	tok := e.token("alice", "ml/*:write")
	data := randomData(2, 600<<10)
	d := e.putBlob("ml/x", data)
	corruptPacks(t, e.backend)

	if r := e.do("GET", "/v2/ml/x/blobs/"+d.String(), withBasic(tok)); r.StatusCode == http.StatusOK && bytes.Equal(r.body, data) {
		t.Fatal("a corrupt blob was served")
	}
	e.do("HEAD", "/v2/ml/x/blobs/"+d.String(), withBasic(tok)).want(t, http.StatusNotFound)
	r := e.do("GET", "/v2/ml/x/blobs/"+d.String(), withBasic(tok)).wantError(t, http.StatusInternalServerError, CodeBlobUnknown)
	if !strings.Contains(string(r.body), "push it again") {
		t.Fatalf("GET of a damaged blob: %s", r.body)
	}
	// A mount from a repository holding it damaged uploads instead.
	e.do("POST", "/v2/ml/y/blobs/uploads/?mount="+d.String()+"&from=ml/x", withBasic(tok)).want(t, http.StatusAccepted)

	e.do("POST", "/v2/ml/x/blobs/uploads/?digest="+d.String(), withBasic(tok), withBody(data)).want(t, http.StatusCreated)
	e.do("HEAD", "/v2/ml/x/blobs/"+d.String(), withBasic(tok)).want(t, http.StatusOK)
	if r := e.do("GET", "/v2/ml/x/blobs/"+d.String(), withBasic(tok)).want(t, http.StatusOK); !bytes.Equal(r.body, data) {
		t.Fatal("wrong bytes after the repair")
	}
}
