package lfsserver

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ballastml/ballast/internal/platform/name"
)

func TestSplitPath(t *testing.T) {
	t.Parallel()
	cases := []struct{ path, repo, rest string }{
		{"/ml/cat.git/info/lfs/objects/batch", "ml/cat", "objects/batch"},
		{"/ml/cat/info/lfs/locks", "ml/cat", "locks"},
		{"/a/info/lfs/b.git/info/lfs/locks/verify", "a/info/lfs/b", "locks/verify"},
		{"/x.git.git/info/lfs/locks", "x.git", "locks"},
		{"/cat.git/info/lfs/", "cat", ""},
	}
	for _, c := range cases {
		repo, rest, err := splitPath(c.path)
		if err != nil || repo != c.repo || rest != c.rest {
			t.Errorf("splitPath(%q) = %q, %q, %v; want %q, %q", c.path, repo, rest, err, c.repo, c.rest)
		}
	}
	for _, bad := range []string{"", "/", "/info/lfs/objects/batch", "/.git/info/lfs/x", "/../etc/info/lfs/x",
		"/ml/../../etc/info/lfs/x", "/ML/Cat.git/info/lfs/x", "/ml//cat/info/lfs/x", "/ml/cat\x00/info/lfs/x", "ml/cat/info/lfs/x", "/v2/ml/cat/blobs"} {
		if repo, _, err := splitPath(bad); err == nil {
			t.Errorf("splitPath(%q) accepted repo %q", bad, repo)
		}
	}
}

func TestRoutingErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cases := []struct {
		method, path string
		status       int
	}{
		{"GET", "/favicon.ico", 404},
		{"GET", "/ml/cat.git/info/lfs/objects", 404},
		{"GET", "/ml/cat.git/info/lfs/objects/a/b", 404},
		{"GET", "/ml/cat.git/info/lfs/nothing", 404},
		{"POST", "/ml/Cat.git/info/lfs/objects/batch", 422},
		{"GET", "/ml/cat.git/info/lfs/objects/batch", 405},
		{"GET", "/ml/cat.git/info/lfs/objects/..", 422}, // ".." is not an oid
		{"GET", "/ml/cat.git/info/lfs/objects/../../x", 404},
		{"DELETE", "/ml/cat.git/info/lfs/locks", 405},
		{"GET", "/ml/cat.git/info/lfs/locks/verify", 405},
		{"POST", "/ml/cat.git/info/lfs/objects/" + oidOf(nil), 405},
	}
	for _, c := range cases {
		resp := e.do(c.method, e.srv.URL+c.path, tokWriter, nil)
		wantError(t, resp, c.status)
		if c.status == 405 && resp.Header.Get("Allow") == "" {
			t.Errorf("%s %s: 405 without Allow", c.method, c.path)
		}
	}
}

func TestLockingDisabledIs404(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.DB = nil })
	wantError(t, e.do(http.MethodGet, e.lfsURL(testRepo)+"/locks", tokWriter, nil), http.StatusNotFound)
}

func FuzzRepoFromPath(f *testing.F) {
	for _, p := range []string{"/ml/cat.git/info/lfs/objects/batch", "/a/info/lfs/b/info/lfs/locks", "/../info/lfs/x", "/info/lfs/", "//info/lfs/"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		repo, rest, err := splitPath(p)
		if err != nil {
			if s := statusOf(err); s != http.StatusNotFound && s != http.StatusUnprocessableEntity {
				t.Fatalf("splitPath(%q): error %v has status %d", p, err, s)
			}
			return
		}
		if name.ValidateRepo(repo) != nil || strings.Contains(repo, "..") || strings.HasPrefix(repo, "/") {
			t.Fatalf("splitPath(%q) accepted repo %q", p, repo)
		}
		if strings.Contains(rest, lfsSegment) {
			t.Fatalf("splitPath(%q): rest %q still holds %q", p, rest, lfsSegment)
		}
		// The canonical URL of the repository routes back to it.
		again, rest2, err := splitPath("/" + repo + ".git" + lfsSegment + rest)
		if err != nil || again != repo || rest2 != rest {
			t.Fatalf("round trip of %q: %q %q %v", repo, again, rest2, err)
		}
	})
}
