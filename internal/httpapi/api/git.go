package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ballastml/ballast/internal/gitops/gitindex"
	"github.com/ballastml/ballast/internal/platform/auth"
	"github.com/ballastml/ballast/internal/platform/httpx"
)

// connect serves PUT …/git: connect (or reconnect) repo to a Git repository.
func (a *api) connect(w http.ResponseWriter, r *http.Request, rt route) error {
	var req ConnectRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := mayConnect(r, req.URL); err != nil {
		return err
	}
	src := gitindex.Source{URL: req.URL, Username: req.Username, Password: req.Password,
		TagPattern: req.TagPattern, PathFilter: req.PathFilter, ImageRoot: req.ImageRoot}
	if !req.NoCheck {
		ctx, cancel := context.WithTimeout(r.Context(), probeTimeout)
		err := a.Index.Probe(ctx, rt.repo, src)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) && r.Context().Err() == nil {
			err = fmt.Errorf("%w: %s did not answer within %s", gitindex.ErrUnreachable, redact(req.URL), probeTimeout)
		}
		if err != nil {
			return fmt.Errorf("%w (connect with no_check to save it anyway)", err)
		}
	}
	if err := a.Index.Connect(r.Context(), rt.repo, src); err != nil {
		return err
	}
	a.log.InfoContext(r.Context(), "git repository connected", "repo", rt.repo, "url", redact(req.URL), "by", caller(r))
	return a.showGit(w, r, rt)
}

// probeTimeout bounds the check that a remote answers before it is saved.
const probeTimeout = 30 * time.Second

// mayConnect refuses a source on the server's own disk (a path or a
// file:// URL) unless the caller is an admin of every repository: such a
// source could name another repository's mirror.
func mayConnect(r *http.Request, rawURL string) error {
	if httpURL.MatchString(strings.TrimSpace(rawURL)) || auth.FromContext(r.Context()).IsAdmin() {
		return nil
	}
	return fmt.Errorf(`%w: a local path or file:// URL reads the server's disk and needs a token with scope "*:admin"; use an http(s) URL`, errForbidden)
}

var httpURL = regexp.MustCompile(`(?i)^https?://`)

// disconnect serves DELETE …/git.
func (a *api) disconnect(w http.ResponseWriter, r *http.Request, rt route) error {
	if err := a.Index.Disconnect(r.Context(), rt.repo); err != nil {
		return err
	}
	a.log.InfoContext(r.Context(), "git repository disconnected", "repo", rt.repo, "by", caller(r))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// showGit serves GET …/git: the connection without its password, the refs
// and a page of problems.
func (a *api) showGit(w http.ResponseWriter, r *http.Request, rt route) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	src, err := a.Index.Source(r.Context(), rt.repo)
	if err != nil {
		return err
	}
	status, err := a.Index.Status(r.Context(), rt.repo)
	if err != nil {
		return err
	}
	refs, err := a.Index.Refs(r.Context(), rt.repo)
	if err != nil {
		return err
	}
	problems, err := a.Index.Problems(r.Context(), rt.repo)
	if err != nil {
		return err
	}
	page, next, err := pageByOffset(problems, p)
	if err != nil {
		return err
	}
	pending := []Pending{}
	if a.Pending != nil {
		if pending, err = a.Pending(r.Context(), rt.repo); err != nil {
			return err
		}
	}
	setNext(w, r, next)
	httpx.WriteJSON(w, http.StatusOK, GitStatus{
		Repo:       rt.repo,
		Git:        fromSource(src),
		LastSync:   optional(status.LastSync),
		LastError:  status.LastError,
		Refs:       fromRefs(refs),
		Problems:   fromProblems(page),
		Pending:    pending,
		NextCursor: next,
	})
	return nil
}

// sync serves POST …/git/sync, the webhook target: the body, whatever a
// Git host sends, is ignored.
func (a *api) sync(w http.ResponseWriter, r *http.Request, rt route) error {
	res, err := a.Sync(r.Context(), rt.repo)
	if err != nil {
		return err
	}
	a.log.InfoContext(r.Context(), "git sync", "repo", rt.repo, "new_commits", res.NewCommits,
		"changed_refs", len(res.Changed), "problems", len(res.Problems), "by", caller(r))
	httpx.WriteJSON(w, http.StatusOK, fromSync(rt.repo, res))
	return nil
}

// fromSource shows src without its password.
func fromSource(src gitindex.Source) GitSource {
	return GitSource{URL: redact(src.URL), Username: src.Username, PasswordSet: src.Password != "",
		TagPattern: src.TagPattern, PathFilter: src.PathFilter, ImageRoot: src.ImageRoot}
}

// redact removes a password from a URL's user info.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); !ok {
		return raw
	}
	return u.Redacted()
}

// pageByOffset returns a page of items; the cursor is an offset.
func pageByOffset[T any](items []T, p page) ([]T, string, error) {
	start := 0
	if p.cursor != "" {
		n, err := strconv.Atoi(p.cursor)
		if err != nil || n < 0 || n > len(items) {
			return nil, "", errBadCursor(p.cursor)
		}
		start = n
	}
	end := min(start+p.limit, len(items))
	next := ""
	if end < len(items) {
		next = strconv.Itoa(end)
	}
	return items[start:end], next, nil
}

// caller names the authenticated user and token for the log.
func caller(r *http.Request) string {
	id := auth.FromContext(r.Context())
	return id.User + " (token " + id.TokenID + ")"
}

func optional(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
