package api

import "testing"

func TestParseRoute(t *testing.T) {
	tests := []struct {
		path string
		want route
		ok   bool
	}{
		{"/api/v1/repos/ml/x/git", route{ep: epGit, repo: "ml/x"}, true},
		{"/api/v1/repos/ml/x/git/sync", route{ep: epSync, repo: "ml/x"}, true},
		{"/api/v1/repos/ml/git/git", route{ep: epGit, repo: "ml/git"}, true},
		{"/api/v1/repos/a/b/c/history", route{ep: epHistory, repo: "a/b/c"}, true},
		{"/api/v1/repos/ml/x/diff", route{ep: epDiff, repo: "ml/x"}, true},
		{"/api/v1/repos/ml/x/live", route{ep: epLive, repo: "ml/x"}, true},
		{"/api/v1/repos/ml/x/refs/v1.0.0", route{ep: epRef, repo: "ml/x", ref: "v1.0.0"}, true},
		{"/api/v1/repos/ml/x/refs/live", route{ep: epRef, repo: "ml/x", ref: "live"}, true},
		{"/api/v1/repos/ml/x/refs/feature%2Fa", route{ep: epRef, repo: "ml/x", ref: "feature/a"}, true},
		{"/api/v1/repos/ml/x/refs/refs%2Ftags%2Fv1", route{ep: epRef, repo: "ml/x", ref: "refs/tags/v1"}, true},
		{"/api/v1/repos/ml/x/refs/feature/a", route{ep: epRef, repo: "ml/x", ref: "feature/a"}, true},
		{"/api/v1/repos/team/refs/refs/v1", route{ep: epRef, repo: "team/refs", ref: "v1"}, true},
		{"/api/v1/repos/team/refs/b/history", route{ep: epHistory, repo: "team/refs/b"}, true},
		{"/api/v1/digests/sha256:abc", route{ep: epDigest, digest: "sha256:abc"}, true},
		{"/api/v1/pulls", route{ep: epPulls}, true},
		{"/api/v1/repos/ml/x", route{ep: epRepo, repo: "ml/x"}, true},
		{"/api/v1/repos/git", route{ep: epRepo, repo: "git"}, true},
		{"/api/v1/repos//git", route{ep: epRepo, repo: "/git"}, true}, // and refused as a name
		{"/api/v1/repos/", route{}, false},
		{"/api/v1/repos/ml/x/refs/", route{}, false},
		{"/api/v1/repos/ml/x/refs/%zz", route{}, false},
		{"/api/v1/digests/", route{}, false},
		{"/api/v1/digests/a/b", route{}, false},
		{"/api/v1/pulls/x", route{}, false},
		{"/api/v1/nothing", route{}, false},
	}
	for _, tt := range tests {
		got, ok := parseRoute(tt.path)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("parseRoute(%q) = %+v, %v; want %+v, %v", tt.path, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzParseRoute(f *testing.F) {
	for _, s := range []string{"/api/v1/repos/ml/x/refs/v1", "/api/v1/repos/a/git/sync", "/api/v1/digests/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		rt, ok := parseRoute(p)
		if ok && rt.ep == epRef && rt.ref == "" {
			t.Fatalf("%q: empty ref", p)
		}
	})
}
