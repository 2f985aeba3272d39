package lfsserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"

	"github.com/opencontainers/go-digest"

	"github.com/ballastml/ballast/internal/platform/auth"
	"github.com/ballastml/ballast/store"
)

// Operations, transfer adapter and hash algorithm of the Batch API.
// Reference: git-lfs docs/api/batch.md ("Requests").
const (
	opUpload      = "upload"
	opDownload    = "download"
	transferBasic = "basic"
	hashSHA256    = "sha256"
)

// batchRequest is the body of POST objects/batch.
// Reference: git-lfs docs/api/batch.md ("Requests").
type batchRequest struct {
	Operation string    `json:"operation"`
	Transfers []string  `json:"transfers"`
	Ref       *refJSON  `json:"ref"` // accepted; tokens are not scoped by ref
	Objects   []pointer `json:"objects"`
	HashAlgo  string    `json:"hash_algo"`
}

// refJSON names a server ref.
type refJSON struct {
	Name string `json:"name"`
}

// pointer names an LFS object: its oid and size.
type pointer struct {
	Oid  string `json:"oid"`
	Size int64  `json:"size"`
}

// batchResponse is the body of a successful batch.
// Reference: git-lfs docs/api/batch.md ("Successful Responses").
type batchResponse struct {
	Transfer string           `json:"transfer"`
	Objects  []objectResponse `json:"objects"`
	HashAlgo string           `json:"hash_algo"`
}

type objectResponse struct {
	Oid           string             `json:"oid"`
	Size          int64              `json:"size"`
	Authenticated bool               `json:"authenticated,omitempty"`
	Actions       map[string]*action `json:"actions,omitempty"`
	Error         *objectError       `json:"error,omitempty"`
}

// objectError is a per-object error.
// Reference: git-lfs docs/api/batch.md ("LFS object error codes").
type objectError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// decodeBatch reads and checks a batch request: the operation, the transfer
// adapters and the object count. Objects are checked one by one later, so
// that each invalid object gets its own error.
func decodeBatch(r io.Reader, maxObjects int) (*batchRequest, error) {
	var br batchRequest
	if err := decodeJSON(r, &br); err != nil {
		return nil, err
	}
	return &br, br.check(maxObjects)
}

func (br *batchRequest) check(maxObjects int) error {
	if br.Operation != opUpload && br.Operation != opDownload {
		return fmt.Errorf("%w: operation %q must be %q or %q", errValidation, clip(br.Operation), opUpload, opDownload)
	}
	// Reference: git-lfs docs/api/batch.md ("If omitted, the basic transfer
	// adapter MUST be assumed by the server").
	if len(br.Transfers) > 0 && !slices.Contains(br.Transfers, transferBasic) {
		return fmt.Errorf("%w: this server supports only the %q transfer adapter", errValidation, transferBasic)
	}
	if len(br.Objects) > maxObjects {
		return fmt.Errorf("%w: %d objects in one batch, the limit is %d", errTooLarge, len(br.Objects), maxObjects)
	}
	return nil
}

// level is the access the operation needs.
func (br *batchRequest) level() auth.Level {
	if br.Operation == opUpload {
		return auth.Write
	}
	return auth.Read
}

// check validates one object of a batch and returns its digest.
// Reference: git-lfs docs/api/batch.md ("size - ... Must be at least zero").
func (p pointer) check() (digest.Digest, error) {
	d, err := parseOid(p.Oid)
	if err != nil {
		return "", err
	}
	if p.Size < 0 {
		return "", fmt.Errorf("%w: size %d of %s is negative", errValidation, p.Size, p.Oid)
	}
	return d, nil
}

// batch serves POST objects/batch.
func (s *server) batch(w http.ResponseWriter, r *http.Request, req *request) error {
	if err := checkJSONHeaders(r); err != nil {
		return err
	}
	id, err := s.authenticate(r)
	if err != nil {
		return err
	}
	br, err := decodeBatch(limitBody(w, r, maxBatchBody), s.maxObjs)
	if err != nil {
		return err
	}
	if err := require(id, req.repo, br.level()); err != nil {
		return err
	}
	if br.Operation == opUpload {
		if err := s.create.CheckPush(r.Context(), id, req.repo); err != nil {
			return err
		}
	}
	if br.Operation == opDownload {
		if err := s.requireRepo(r.Context(), req.repo); err != nil {
			return err
		}
	}
	objs, err := s.resolve(r.Context(), req.repo, br, s.newActions(r, req.repo))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, batchResponse{Transfer: transferBasic, Objects: objs, HashAlgo: hashSHA256})
	return nil
}

// requireRepo returns a 404 error if nothing was ever pushed to repo.
// Reference: git-lfs docs/api/batch.md ("404 - The Repository does not
// exist for the user").
func (s *server) requireRepo(ctx context.Context, repo string) error {
	ok, err := s.store.RepoExists(ctx, repo)
	if err == nil && !ok {
		err = fmt.Errorf("%w: repository %q does not exist", errNotFound, repo)
	}
	return err
}

// resolve answers every object of the batch. For an upload it also checks,
// object by object in order, that the store has room for the objects it
// asks for so far: one that does not fit gets a per-object 507, and the
// others proceed.
func (s *server) resolve(ctx context.Context, repo string, br *batchRequest, acts actions) ([]objectResponse, error) {
	out := make([]objectResponse, len(br.Objects))
	asked := map[string]bool{} // oids given an upload action
	var need int64             // their bytes
	for i, p := range br.Objects {
		res, err := s.resolveObject(ctx, repo, br, p, acts)
		if err != nil {
			return nil, err
		}
		if res.Actions[opUpload] != nil && !asked[p.Oid] {
			total := addSat(need, p.Size)
			switch err := s.store.CheckSpace(ctx, total); {
			case store.IsNoSpace(err):
				res.Actions, res.Authenticated = nil, false
				res.Error = &objectError{http.StatusInsufficientStorage,
					fmt.Sprintf("no room for object %s of %d bytes: %v", p.Oid, p.Size, err)}
			case err != nil:
				return nil, err
			default:
				asked[p.Oid], need = true, total
			}
		}
		out[i] = res
	}
	return out, nil
}

// resolveObject answers one object: actions, nothing (an upload of an object
// the repository has) or a per-object error. Only store failures are errors.
func (s *server) resolveObject(ctx context.Context, repo string, br *batchRequest, p pointer, acts actions) (objectResponse, error) {
	res := objectResponse{Oid: p.Oid, Size: p.Size}
	// Reference: git-lfs docs/api/batch.md ("409 - The specified hash
	// algorithm disagrees with the server's acceptable options").
	if br.HashAlgo != "" && br.HashAlgo != hashSHA256 {
		res.Error = &objectError{http.StatusConflict, fmt.Sprintf("hash algorithm %q is not supported; use %s", clip(br.HashAlgo), hashSHA256)}
		return res, nil
	}
	d, err := p.check()
	if err != nil {
		res.Error = &objectError{http.StatusUnprocessableEntity, err.Error()}
		return res, nil
	}
	info, err := s.store.Stat(ctx, repo, d)
	found := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return res, err
	}
	switch {
	case found && info.Size != p.Size:
		res.Error = &objectError{http.StatusUnprocessableEntity, fmt.Sprintf("object %s has %d bytes, not %d", p.Oid, info.Size, p.Size)}
	case br.Operation == opDownload && !found:
		res.Error = &objectError{http.StatusNotFound, fmt.Sprintf("object %s does not exist in %q", p.Oid, repo)}
	case br.Operation == opDownload && info.Damaged:
		res.Error = &objectError{http.StatusInternalServerError, fmt.Sprintf("the stored copy of object %s is damaged; push it again to repair it", p.Oid)}
	case br.Operation == opDownload:
		res.Authenticated, res.Actions = true, acts.download(p.Oid)
	case !found || info.Damaged:
		// An object linked only to other repositories is uploaded again:
		// the store hashes the bytes and dedups them (design invariant 4).
		// A damaged one is too: its upload repairs it.
		res.Authenticated, res.Actions = true, acts.upload(p.Oid)
	}
	// Reference: git-lfs docs/api/batch.md ("If a client requests to upload
	// an object that the server already has, the server should omit the
	// actions property completely").
	return res, nil
}

// addSat adds two sizes, saturating instead of overflowing.
func addSat(a, b int64) int64 {
	if b > math.MaxInt64-a {
		return math.MaxInt64
	}
	return a + b
}
