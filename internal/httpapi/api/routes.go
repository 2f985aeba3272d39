package api

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/ballastml/ballast/internal/platform/auth"
)

type endpoint int

const (
	epGit endpoint = iota
	epSync
	epRef
	epHistory
	epDiff
	epLive
	epDigest
	epPulls
	epRepos
	epRepo
	epStats
)

// route is a parsed request path. repo is set for the endpoints under
// /api/v1/repos/, ref for epRef, digest for epDigest. A path under
// /api/v1/repos/ that ends in no known suffix names a repository (epRepo).
type route struct {
	ep     endpoint
	repo   string
	ref    string
	digest string
}

// handler serves one method of one endpoint. level is what the caller
// needs on the route's repository; None for endpoints that filter their
// results by access instead.
type handler struct {
	level auth.Level
	serve func(http.ResponseWriter, *http.Request, route) error
}

func (a *api) handlers() map[endpoint]map[string]handler {
	return map[endpoint]map[string]handler{
		epGit: {
			http.MethodGet:    {auth.Read, a.showGit},
			http.MethodPut:    {auth.Admin, a.connect},
			http.MethodDelete: {auth.Admin, a.disconnect},
		},
		epSync:    {http.MethodPost: {auth.Write, a.sync}},
		epRef:     {http.MethodGet: {auth.Read, a.refFiles}},
		epHistory: {http.MethodGet: {auth.Read, a.history}},
		epDiff:    {http.MethodGet: {auth.Read, a.diff}},
		epLive:    {http.MethodGet: {auth.Read, a.live}},
		epDigest:  {http.MethodGet: {auth.None, a.digest}},
		epPulls:   {http.MethodGet: {auth.None, a.pulls}},
		epRepos:   {http.MethodGet: {auth.None, a.repos}},
		epStats:   {http.MethodGet: {auth.None, a.stats}},
		epRepo: {
			http.MethodGet:    {auth.Read, a.showRepo},
			http.MethodPut:    {auth.Admin, a.createRepo},
			http.MethodDelete: {auth.Admin, a.deleteRepo},
		},
	}
}

// allowed lists the methods of an endpoint for the Allow header.
func allowed(hs map[string]handler) string {
	var ms []string
	for m := range hs {
		ms = append(ms, m)
	}
	slices.Sort(ms)
	return strings.Join(ms, ", ")
}

// repoSuffixes are the endpoints under /api/v1/repos/{repo}, by the fixed
// suffix that ends their path.
var repoSuffixes = []struct {
	suffix string
	ep     endpoint
}{
	{"/git/sync", epSync},
	{"/git", epGit},
	{"/history", epHistory},
	{"/diff", epDiff},
	{"/live", epLive},
}

// oneSegmentRef matches {repo}/refs/{ref} with a ref of one path segment
// (slashes in it percent-encoded).
var oneSegmentRef = regexp.MustCompile(`^(.+)/refs/([^/]+)$`)

// parseRoute parses an escaped request path. Repository names hold
// slashes, so under /api/v1/repos/ the name is what precedes a known
// suffix. A ref is one segment after the last "/refs/" (a tag named "live"
// is a ref, not the live endpoint); an unencoded ref with slashes is
// accepted when the path ends in no known suffix.
func parseRoute(p string) (route, bool) {
	switch {
	case p == pullsPath:
		return route{ep: epPulls}, true
	case p == reposPath:
		return route{ep: epRepos}, true
	case p == statsPath:
		return route{ep: epStats}, true
	case strings.HasPrefix(p, digestsPrefix):
		d, err := url.PathUnescape(strings.TrimPrefix(p, digestsPrefix))
		return route{ep: epDigest, digest: d}, err == nil && d != "" && !strings.Contains(d, "/")
	case strings.HasPrefix(p, reposPrefix):
		return parseRepoRoute(strings.TrimPrefix(p, reposPrefix))
	}
	return route{}, false
}

func parseRepoRoute(p string) (route, bool) {
	if m := oneSegmentRef.FindStringSubmatch(p); m != nil {
		return refRoute(m[1], m[2])
	}
	for _, s := range repoSuffixes {
		if repo, ok := strings.CutSuffix(p, s.suffix); ok && repo != "" {
			return route{ep: s.ep, repo: repo}, true
		}
	}
	if i := strings.LastIndex(p, "/refs/"); i > 0 {
		return refRoute(p[:i], p[i+len("/refs/"):])
	}
	return route{ep: epRepo, repo: p}, p != ""
}

func refRoute(repo, escapedRef string) (route, bool) {
	ref, err := url.PathUnescape(escapedRef)
	return route{ep: epRef, repo: repo, ref: ref}, err == nil && ref != ""
}
