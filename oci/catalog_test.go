package oci

import (
	"encoding/json"
	"net/http"
	"testing"
)

// The catalog lists exactly the repositories the token can read, in name
// order, a page at a time.
func TestCatalogListsReadableRepositories(t *testing.T) {
	e := newEnv(t)
	for _, repo := range []string{"ml/a", "ml/b", "ml/c", "other/x", "zz/y"} {
		e.putBlob(repo, []byte("m-"+repo))
	}
	list := func(tok, query string) ([]string, string) {
		t.Helper()
		r := e.do("GET", "/v2/_catalog"+query, withBasic(tok)).want(t, http.StatusOK)
		var c catalogList
		if err := json.Unmarshal(r.body, &c); err != nil {
			t.Fatal(err)
		}
		return c.Repositories, r.Header.Get("Link")
	}
	mlReader := e.token("alice", "ml/*:read", "zz/y:write")
	got, link := list(mlReader, "")
	if want := []string{"ml/a", "ml/b", "ml/c", "zz/y"}; !equal(got, want) || link != "" {
		t.Fatalf("catalog for ml/* and zz/y: %v (Link %q), want %v", got, link, want)
	}
	got, link = list(mlReader, "?n=2")
	if want := []string{"ml/a", "ml/b"}; !equal(got, want) || link != `</v2/_catalog?last=ml%2Fb&n=2>; rel="next"` {
		t.Fatalf("first page: %v, Link %q", got, link)
	}
	got, _ = list(mlReader, "?n=2&last=ml%2Fb")
	if want := []string{"ml/c", "zz/y"}; !equal(got, want) {
		t.Fatalf("second page: %v, want %v", got, want)
	}
	if got, _ := list(e.token("bob", "nothing/*:read"), ""); len(got) != 0 {
		t.Fatalf("a token that reads nothing sees %v", got)
	}
	e.do("GET", "/v2/_catalog").wantError(t, http.StatusUnauthorized, CodeUnauthorized)
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
