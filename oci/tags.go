package oci

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"

	"github.com/ballastml/ballast/internal/platform/auth"
)

// tagRE is the tag grammar.
// Reference: distribution-spec "Pulling manifests" (<reference> as a tag).
var tagRE = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`)

func validTag(s string) bool { return tagRE.MatchString(s) }

// errTagInvalid answers a malformed tag. The spec's error table has no tag
// code (TAG_INVALID is a legacy schema-1 code), so the manifest reference
// is reported as MANIFEST_INVALID.
func errTagInvalid(tag string) *Error {
	return errManifestInvalid("invalid tag %q: want [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}", tag)
}

// maxTagPage is the most tags one response lists; larger n are clamped and
// the rest reached through the Link header.
const maxTagPage = 1000

// tagList is the body of a tags response.
type tagList struct {
	Name string   `json:"name"`
	Tags []string `json:"tags"`
}

// listTags serves GET /v2/<name>/tags/list[?n=<n>][&last=<tag>]: tags in
// lexical order after last, at most n (clamped to maxTagPage), with a
// Link to the next page when more remain.
// Reference: distribution-spec "Listing Tags" (n=0 returns an empty list
// and no Link header; Link rel="next" per RFC 5988).
func (s *server) listTags(w http.ResponseWriter, r *http.Request, rt route) error {
	if _, err := s.authorize(r, rt.name, auth.Read); err != nil {
		return err
	}
	q := r.URL.Query()
	n, err := tagPageSize(q.Get("n"))
	if err != nil {
		return err
	}
	if err := s.requireRepo(r.Context(), rt.name); err != nil {
		return err
	}
	tags := []string{}
	if n > 0 {
		if tags, err = s.tagPage(r.Context(), rt.name, q.Get("last"), n+1); err != nil {
			return err
		}
	}
	if len(tags) > n {
		tags = tags[:n]
		next := url.Values{"n": {strconv.Itoa(n)}, "last": {tags[n-1]}}
		w.Header().Set("Link", fmt.Sprintf(`</v2/%s/tags/list?%s>; rel="next"`, rt.name, next.Encode()))
	}
	return respondJSON(w, "application/json", tagList{Name: rt.name, Tags: tags})
}

// tagPageSize parses n. Absent means a full page; anything above
// maxTagPage, however large, is clamped before use.
func tagPageSize(s string) (int, error) {
	if s == "" {
		return maxTagPage, nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if errors.Is(err, strconv.ErrRange) || err == nil && n > maxTagPage {
		return maxTagPage, nil
	}
	if err != nil {
		return 0, newErr(http.StatusBadRequest, CodeUnsupported, "n must be a non-negative integer, not %q", s)
	}
	return int(n), nil
}

// repoChecker is implemented by stores that can tell whether a repository
// exists (*store.Store can).
type repoChecker interface {
	RepoExists(ctx context.Context, repo string) (bool, error)
}

// requireRepo answers 404 NAME_UNKNOWN for a repository nothing was ever
// pushed to. Stores that cannot tell are taken to have every repository.
func (s *server) requireRepo(ctx context.Context, repo string) error {
	rc, ok := s.store.(repoChecker)
	if !ok {
		return nil
	}
	exists, err := rc.RepoExists(ctx, repo)
	if err != nil {
		return err
	}
	if !exists {
		return newErr(http.StatusNotFound, CodeNameUnknown, "repository %s is not known", repo)
	}
	return nil
}

// respondJSON writes v as a 200 response of the given content type.
func respondJSON(w http.ResponseWriter, contentType string, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
	return nil
}
