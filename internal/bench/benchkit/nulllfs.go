package benchkit

import (
	"encoding/json"
	"net/http"
	"strings"
)

// The Git LFS side of NullServer, below {repo}.git/info/lfs/:
//
//	POST objects/batch   upload: an upload action for every object;
//	                     download: a download action for every registered
//	                     file, a 404 object error for anything else
//	PUT  objects/{oid}   the body read and counted, then 200
//	GET  objects/{oid}   the registered file, with sendfile
//	POST locks/verify    no locks
//
// Actions are marked authenticated, carry no headers and no verify action.
// Reference: git-lfs docs/api/batch.md, basic-transfers.md, locking.md.

// lfsMediaType is the content type of Git LFS API bodies.
const lfsMediaType = "application/vnd.git-lfs+json"

// LFSURL is the Git LFS endpoint of repo, for lfs.url, with credentials in
// it as a real server would need (the null server ignores them).
func (s *NullServer) LFSURL(repo string) string {
	return "http://bench:null@" + s.Addr + "/" + repo + ".git/info/lfs"
}

type lfsObject struct {
	Oid           string               `json:"oid"`
	Size          int64                `json:"size"`
	Authenticated bool                 `json:"authenticated,omitempty"`
	Actions       map[string]lfsAction `json:"actions,omitempty"`
	Error         *lfsError            `json:"error,omitempty"`
}

type lfsAction struct {
	Href      string `json:"href"`
	ExpiresIn int    `json:"expires_in"`
}

type lfsError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (s *NullServer) serveLFS(w http.ResponseWriter, r *http.Request) {
	repo, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), ".git/info/lfs/")
	oid, isObject := strings.CutPrefix(rest, "objects/")
	isObject = isObject && validOid(oid)
	switch {
	case r.Method == http.MethodPost && rest == "objects/batch":
		s.lfsBatch(w, r, repo)
	case r.Method == http.MethodPost && rest == "locks/verify":
		writeJSON(w, http.StatusOK, lfsMediaType, map[string][]struct{}{"ours": {}, "theirs": {}})
	case r.Method == http.MethodPut && isObject:
		if _, _, err := s.receive(r, "sha256:"+oid); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
	case (r.Method == http.MethodGet || r.Method == http.MethodHead) && isObject:
		f, ok := s.file("sha256:" + oid)
		if !ok {
			http.NotFound(w, r)
			return
		}
		sendFile(w, r, f)
	default:
		http.NotFound(w, r)
	}
}

// lfsBatch answers a batch request.
func (s *NullServer) lfsBatch(w http.ResponseWriter, r *http.Request, repo string) {
	var req struct {
		Operation string      `json:"operation"`
		Objects   []lfsObject `json:"objects"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	objects := make([]lfsObject, 0, len(req.Objects))
	for _, o := range req.Objects {
		out := lfsObject{Oid: o.Oid, Size: o.Size, Authenticated: true}
		href := s.URL + "/" + repo + ".git/info/lfs/objects/" + o.Oid
		switch _, ok := s.file("sha256:" + o.Oid); {
		case !validOid(o.Oid):
			out.Error = &lfsError{http.StatusUnprocessableEntity, "not a sha256 oid"}
		case req.Operation == "upload":
			out.Actions = map[string]lfsAction{"upload": {href, 3600}}
		case ok:
			out.Actions = map[string]lfsAction{"download": {href, 3600}}
		default:
			out.Error = &lfsError{http.StatusNotFound, "not on this null server"}
		}
		objects = append(objects, out)
	}
	writeJSON(w, http.StatusOK, lfsMediaType, map[string]any{"transfer": "basic", "hash_algo": "sha256", "objects": objects})
}

// validOid reports whether oid is 64 lower-case hex digits.
func validOid(oid string) bool {
	return len(oid) == 64 && strings.Trim(oid, "0123456789abcdef") == ""
}
