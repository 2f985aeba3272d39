package api

import (
	"net/http"
	"time"

	"github.com/ballastml/ballast/internal/gitops/pulllog"
	"github.com/ballastml/ballast/internal/platform/auth"
	"github.com/ballastml/ballast/internal/platform/httpx"
	"github.com/ballastml/ballast/internal/platform/name"
)

// defaultLiveWindow is how far back …/live looks without since.
const defaultLiveWindow = 24 * time.Hour

// pulls serves GET /api/v1/pulls: the pull log, newest first, of the
// repositories the caller can read, filtered by repo, digest, user, since
// and until.
func (a *api) pulls(w http.ResponseWriter, r *http.Request, _ route) error {
	f, err := pullFilter(r)
	if err != nil {
		return err
	}
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	out := Pulls{Pulls: []pulllog.PullEvent{}}
	if len(f.Repos) > 0 {
		evs, next, err := a.Pulls.List(r.Context(), f, p.limit, p.cursor)
		if err != nil {
			return err
		}
		out.Pulls = append(out.Pulls, evs...)
		out.NextCursor = next
	}
	setNext(w, r, out.NextCursor)
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

// pullFilter reads the filter of a pull log query. Its Repos are the
// caller's readable patterns (none: the caller can read nothing), or the
// one repository asked for, which the caller must be able to read.
func pullFilter(r *http.Request) (pulllog.Filter, error) {
	q := r.URL.Query()
	now := time.Now()
	f := pulllog.Filter{Repo: q.Get("repo"), User: q.Get("user")}
	var err error
	if f.Since, err = parseSince("since", q.Get("since"), now); err != nil {
		return f, err
	}
	if f.Until, err = parseSince("until", q.Get("until"), now); err != nil {
		return f, err
	}
	if d := q.Get("digest"); d != "" {
		oid, err := parseDigest(d)
		if err != nil {
			return f, err
		}
		f.Digest = digestOf(oid)
	}
	if f.Repo != "" {
		if err := name.ValidateRepo(f.Repo); err != nil {
			return f, err
		}
		f.Repos = []string{f.Repo}
		return f, require(r, f.Repo, auth.Read)
	}
	f.Repos = readable(auth.FromContext(r.Context()))
	return f, nil
}

// readable returns the patterns of the repositories id can read.
func readable(id *auth.Identity) []string {
	var pats []string
	for _, s := range id.Scopes {
		if s.Level >= auth.Read {
			pats = append(pats, s.Pattern)
		}
	}
	return pats
}

// live serves GET …/live: the digests of the repository pulled since
// (default: the last 24 hours), most recently pulled first.
func (a *api) live(w http.ResponseWriter, r *http.Request, rt route) error {
	since, err := parseSince("since", r.URL.Query().Get("since"), time.Now())
	if err != nil {
		return err
	}
	if since.IsZero() {
		since = time.Now().Add(-defaultLiveWindow)
	}
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	ds, next, err := a.Pulls.Live(r.Context(), rt.repo, since, p.limit, p.cursor)
	if err != nil {
		return err
	}
	if ds == nil {
		ds = []pulllog.LiveDigest{}
	}
	setNext(w, r, next)
	httpx.WriteJSON(w, http.StatusOK, Live{Repo: rt.repo, Since: since.UTC(), Digests: ds, NextCursor: next})
	return nil
}
