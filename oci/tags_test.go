package oci

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"testing"

	"github.com/opencontainers/go-digest"
)

// linkRE extracts the target of a Link header with rel="next".
var linkRE = regexp.MustCompile(`^<([^>]+)>; rel="next"$`)

// getTags fetches one tags page and returns it with its next link ("" if
// none).
func getTags(t *testing.T, e *menv, path string) (tagList, string) {
	t.Helper()
	r := e.call(http.MethodGet, path, nil).want(t, http.StatusOK)
	if r.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET %s: Content-Type %q", path, r.Header.Get("Content-Type"))
	}
	var tl tagList
	if err := json.Unmarshal(r.body, &tl); err != nil || tl.Tags == nil {
		t.Fatalf("body %s: %v", r.body, err)
	}
	link := r.Header.Get("Link")
	if link == "" {
		return tl, ""
	}
	m := linkRE.FindStringSubmatch(link)
	if m == nil {
		t.Fatalf("Link %q", link)
	}
	return tl, m[1]
}

// listAllTags follows the Link headers to the end.
func listAllTags(t *testing.T, e *menv, repo string) []string {
	t.Helper()
	var all []string
	for next := "/v2/" + repo + "/tags/list?n=2"; next != ""; {
		var tl tagList
		tl, next = getTags(t, e, next)
		all = append(all, tl.Tags...)
	}
	return all
}

// tagMany points n tags at one manifest and returns them in order.
func tagMany(t *testing.T, e *menv, n int) []string {
	t.Helper()
	body := e.pushImage("tags")
	q := url.Values{}
	for i := range n {
		q.Add("tag", fmt.Sprintf("t%03d", i))
	}
	e.put(digest.FromBytes(body).String()+"?"+q.Encode(), mtOCIManifest, body).want(t, http.StatusCreated)
	tags := q["tag"]
	slices.Sort(tags)
	return tags
}

func TestTagsList(t *testing.T) {
	t.Parallel()
	e := newManifestEnv(t)
	tags := tagMany(t, e, 7)
	path := "/v2/" + mrepo + "/tags/list"

	tl, next := getTags(t, e, path)
	if tl.Name != mrepo || !slices.Equal(tl.Tags, tags) || next != "" {
		t.Fatalf("full list %+v, next %q", tl, next)
	}
	if got := listAllTags(t, e, mrepo); !slices.Equal(got, tags) {
		t.Fatalf("paged list %v, want %v", got, tags)
	}
	tl, next = getTags(t, e, path+"?n=3")
	if !slices.Equal(tl.Tags, tags[:3]) || next != path+"?last="+tags[2]+"&n=3" {
		t.Fatalf("first page %v, next %q", tl.Tags, next)
	}
	tl, next = getTags(t, e, path+"?last="+tags[3])
	if !slices.Equal(tl.Tags, tags[4:]) || next != "" {
		t.Fatalf("after %s: %v, next %q", tags[3], tl.Tags, next)
	}
	tl, next = getTags(t, e, path+"?n=3&last="+tags[3])
	if !slices.Equal(tl.Tags, tags[4:]) || next != "" {
		t.Fatalf("last page %v, next %q", tl.Tags, next)
	}
	tl, next = getTags(t, e, path+"?n=0")
	if len(tl.Tags) != 0 || next != "" {
		t.Fatalf("n=0: %v, next %q", tl.Tags, next)
	}
	for _, n := range []string{"1000000000000", "99999999999999999999999999"} {
		if tl, next := getTags(t, e, path+"?n="+n); !slices.Equal(tl.Tags, tags) || next != "" {
			t.Fatalf("n=%s: %v, next %q", n, tl.Tags, next)
		}
	}
	for _, n := range []string{"-1", "x", "1.5"} {
		e.call(http.MethodGet, path+"?n="+n, nil).wantError(t, http.StatusBadRequest, CodeUnsupported)
	}
}

func TestTagsListClamped(t *testing.T) {
	t.Parallel()
	e := newManifestEnv(t)
	tags := tagMany(t, e, maxTagPage+5)
	tl, next := getTags(t, e, "/v2/"+mrepo+"/tags/list?n=1000000000000")
	if !slices.Equal(tl.Tags, tags[:maxTagPage]) || next == "" {
		t.Fatalf("got %d tags, next %q", len(tl.Tags), next)
	}
	tl, next = getTags(t, e, next)
	if !slices.Equal(tl.Tags, tags[maxTagPage:]) || next != "" {
		t.Fatalf("second page %v, next %q", tl.Tags, next)
	}
}

func TestTagsListRepositories(t *testing.T) {
	t.Parallel()
	e := newManifestEnv(t)
	e.call(http.MethodGet, "/v2/ml/never/tags/list", nil).wantError(t, http.StatusNotFound, CodeNameUnknown)

	// A repository holding only blobs (say, pushed with git-lfs) exists.
	e.putBlob("ml/lfs", []byte("model weights"))
	if tl, _ := getTags(t, e, "/v2/ml/lfs/tags/list"); tl.Name != "ml/lfs" || len(tl.Tags) != 0 {
		t.Fatalf("blob-only repository: %+v", tl)
	}
}
