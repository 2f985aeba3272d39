package lfsserver

import (
	"crypto/rand"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/ballastml/ballast/internal/platform/name"
)

// lfsSegment separates the repository from the API path. With or without
// ".git" before it, it marks the LFS server URL of the repository.
// Reference: git-lfs docs/api/server-discovery.md ("append .git/info/lfs").
const lfsSegment = "/info/lfs/"

// request is one routed API call.
type request struct {
	id    string // request id, echoed in X-Request-Id and error bodies
	repo  string // validated repository name
	param string // the oid or lock id in the path, if the route has one
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, req *request) error

// route is the set of handlers, by method, for one API path.
type route struct {
	methods map[string]handlerFunc
	param   string
	locks   bool // part of the locking API
}

// ServeHTTP routes a request and answers any error it returns.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := &request{id: rand.Text()}
	w.Header().Set("X-Request-Id", req.id)
	if err := s.dispatch(w, r, req); err != nil {
		s.fail(w, r, req, err)
	}
}

func (s *server) dispatch(w http.ResponseWriter, r *http.Request, req *request) error {
	repo, rest, err := splitPath(r.URL.Path)
	if err != nil {
		return err
	}
	req.repo = repo
	rt, ok := s.match(rest)
	if !ok {
		return fmt.Errorf("%w: no Git LFS endpoint %q", errNotFound, rest)
	}
	if rt.locks && s.locks == nil {
		return fmt.Errorf("%w: locking is not enabled on this server", errNotFound)
	}
	h, ok := rt.methods[r.Method]
	if !ok {
		allow := slices.Sorted(maps.Keys(rt.methods))
		w.Header().Set("Allow", strings.Join(allow, ", "))
		return fmt.Errorf("%w: %s %s", errMethodNotAllowed, r.Method, rest)
	}
	req.param = rt.param
	return h(w, r, req)
}

// match finds the route of an API path (the part after /info/lfs/).
func (s *server) match(rest string) (route, bool) {
	switch rest {
	case "objects/batch":
		return route{methods: map[string]handlerFunc{http.MethodPost: s.batch}}, true
	case "objects/verify":
		return route{methods: map[string]handlerFunc{http.MethodPost: s.verify}}, true
	case "locks":
		return route{locks: true, methods: map[string]handlerFunc{
			http.MethodGet: s.listLocks, http.MethodPost: s.createLock}}, true
	case "locks/verify":
		return route{locks: true, methods: map[string]handlerFunc{http.MethodPost: s.verifyLocks}}, true
	}
	if oid, ok := strings.CutPrefix(rest, "objects/"); ok && oid != "" && !strings.Contains(oid, "/") {
		return route{param: oid, methods: map[string]handlerFunc{
			http.MethodGet: s.download, http.MethodHead: s.download, http.MethodPut: s.upload}}, true
	}
	if id, ok := unlockID(rest); ok {
		return route{param: id, locks: true, methods: map[string]handlerFunc{http.MethodPost: s.unlock}}, true
	}
	return route{}, false
}

// unlockID extracts {id} from "locks/{id}/unlock".
// Reference: git-lfs docs/api/locking.md ("Delete Lock").
func unlockID(rest string) (string, bool) {
	mid, ok := strings.CutPrefix(rest, "locks/")
	if !ok {
		return "", false
	}
	id, ok := strings.CutSuffix(mid, "/unlock")
	return id, ok && id != "" && !strings.Contains(id, "/")
}

// splitPath splits "/{repo}[.git]/info/lfs/{rest}" into a validated
// repository name and the API path. The last "/info/lfs/" counts, so a
// repository may itself contain "info/lfs"; one ".git" suffix is dropped.
func splitPath(p string) (repo, rest string, err error) {
	i := strings.LastIndex(p, lfsSegment)
	if i < 1 || p[0] != '/' {
		return "", "", fmt.Errorf("%w: not a Git LFS URL; use /{repo}.git/info/lfs/...", errNotFound)
	}
	repo = strings.TrimSuffix(p[1:i], ".git")
	if err := name.ValidateRepo(repo); err != nil {
		return "", "", err
	}
	return repo, p[i+len(lfsSegment):], nil
}
