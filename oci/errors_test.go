package oci

import (
	"errors"
	"fmt"
	"net/http"
	"syscall"
	"testing"

	"github.com/ballastml/ballast/store"
)

// TestClassifyStoreErrors checks the status and spec code each store error
// is answered with, wrapped as the store wraps them.
func TestClassifyStoreErrors(t *testing.T) {
	for err, want := range map[error]struct {
		status int
		code   Code
	}{
		store.ErrNotFound:       {http.StatusNotFound, CodeBlobUnknown},
		store.ErrDigestMismatch: {http.StatusBadRequest, CodeDigestInvalid},
		store.ErrSizeMismatch:   {http.StatusBadRequest, CodeSizeInvalid},
		store.ErrNoSpace:        {http.StatusInsufficientStorage, CodeInsufficientStorage},
		store.ErrRetry:          {http.StatusServiceUnavailable, CodeBlobUploadInvalid},
		store.ErrBusy:           {http.StatusServiceUnavailable, CodeTooManyRequests},
		syscall.ENOSPC:          {http.StatusInsufficientStorage, CodeInsufficientStorage},
	} {
		e := classify(fmt.Errorf("put: %w", err))
		if e == nil || e.Status != want.status || e.Code != want.code {
			t.Errorf("classify(%v) = %+v, want %d %s", err, e, want.status, want.code)
		}
	}
	if e := classify(errors.New("disk on fire")); e != nil {
		t.Errorf("an unknown error classified as %+v, want nil (a 500)", e)
	}
}
