package oci

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/ballastml/ballast/internal/platform/auth"
)

// catalogStore is implemented by stores that can list their repositories in
// name order (*store.Store can).
type catalogStore interface {
	Repos(ctx context.Context, after string, limit int) ([]string, error)
}

// catalogScan bounds the repositories one catalog page looks at, readable
// or not, so a caller who can read few of many costs a bounded amount.
const catalogScan = 10_000

type catalogList struct {
	Repositories []string `json:"repositories"`
}

// catalog serves GET /v2/_catalog: the repositories the caller can read, in
// name order, n at a time after last, with a Link to the next page.
// Repositories the caller cannot read are never named.
// Reference: distribution (docker registry) API "Listing Repositories";
// the distribution-spec leaves the endpoint to implementations.
func (s *server) catalog(w http.ResponseWriter, r *http.Request) error {
	id, err := s.auth.Authenticate(r)
	if err != nil {
		return unauthorized(err, "registry:catalog:*")
	}
	q := r.URL.Query()
	n, err := tagPageSize(q.Get("n"))
	if err != nil {
		return err
	}
	repos, err := s.readableRepos(r.Context(), id, q.Get("last"), n+1)
	if err != nil {
		return err
	}
	if len(repos) > n {
		repos = repos[:n]
		next := url.Values{"n": {strconv.Itoa(n)}, "last": {repos[n-1]}}
		w.Header().Set("Link", fmt.Sprintf(`</v2/_catalog?%s>; rel="next"`, next.Encode()))
	}
	return respondJSON(w, "application/json", catalogList{Repositories: repos})
}

// readableRepos returns up to limit repositories after last that id can
// read, looking at catalogScan repositories at most.
func (s *server) readableRepos(ctx context.Context, id *auth.Identity, last string, limit int) ([]string, error) {
	cs, ok := s.store.(catalogStore)
	if !ok || limit <= 0 {
		return []string{}, nil
	}
	return auth.ReadableNames(ctx, id, cs.Repos, last, limit, catalogScan)
}
