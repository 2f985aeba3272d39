package api_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/ballastml/ballast/internal/httpapi/api"
)

func TestDigest(t *testing.T) {
	s := newStory(t)
	var info api.DigestInfo
	s.e.get("/api/v1/digests/"+s.v1, s.admin, &info)
	type seen struct{ repo, path, commit, refs string }
	var got []seen
	for _, o := range info.Occurrences {
		var refs []string
		for _, r := range o.Refs {
			refs = append(refs, r.Name)
		}
		got = append(got, seen{o.Repo, o.Path, o.Commit.SHA, strings.Join(refs, ",")})
	}
	// Newest commit first: ml/b's copy, the revert (tip of main, v1.1.1), v1.0.0.
	want := []seen{
		{"ml/b", "weights/copy.onnx", s.cb, "main,v9"},
		{"ml/a", "models/cls.onnx", s.c3, "main,v1.1.1"},
		{"ml/a", "models/cls.onnx", s.c1, "v1.0.0"},
	}
	if info.Digest != s.v1 || !slices.Equal(got, want) {
		t.Fatalf("occurrences of v1:\n got %+v\nwant %+v", got, want)
	}
	c := info.Occurrences[2].Commit
	if c.Author.Name != "Ada Lovelace" || c.Author.Email != "ada@example.com" || c.Committer.Name != "CI" ||
		c.Message != "Classifier v1\n" || len(c.Parents) != 0 || c.Author.Time.IsZero() {
		t.Fatalf("commit %+v", c)
	}

	bare := strings.TrimPrefix(s.v1, "sha256:")
	s.e.get("/api/v1/digests/"+bare, s.admin, &info)
	if info.Digest != s.v1 || len(info.Occurrences) != 3 {
		t.Fatalf("by bare oid: %+v", info)
	}
}

func TestDigestShowsOnlyReadableRepositories(t *testing.T) {
	s := newStory(t)
	var info api.DigestInfo
	s.e.get("/api/v1/digests/"+s.v1, s.reader, &info)
	for _, o := range info.Occurrences {
		if o.Repo != "ml/a" {
			t.Fatalf("a token for ml/a sees %s", o.Repo)
		}
	}
	if len(info.Occurrences) != 2 {
		t.Fatalf("ml/a's reader sees %d occurrences, want 2", len(info.Occurrences))
	}
	// ml/b's reader, one per page. The index's cursors name the last row
	// read, which can be in a repository the caller cannot read: the API
	// hands them out sealed.
	s.e.get("/api/v1/digests/"+s.v1+"?limit=1", s.other, &info)
	if len(info.Occurrences) != 1 || info.Occurrences[0].Repo != "ml/b" || info.NextCursor == "" {
		t.Fatalf("page 1 for ml/b's reader: %+v", info)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(info.NextCursor)
	if strings.Contains(string(raw), "ml/") || strings.Contains(string(raw), ".onnx") {
		t.Fatalf("the cursor is readable: %q", raw)
	}
	next := info.NextCursor
	s.e.get("/api/v1/digests/"+s.v1+"?limit=1&cursor="+next, s.other, &info)
	if len(info.Occurrences) != 0 || info.NextCursor != "" {
		t.Fatalf("page 2 for ml/b's reader: %+v", info)
	}
	resp, b := s.e.do(http.MethodGet, "/api/v1/digests/"+s.v2+"?cursor="+next, s.admin, "")
	wantError(t, resp, b, http.StatusBadRequest, "invalid_cursor") // a cursor of another digest

	// A digest only ml/a holds is unknown to ml/b's reader, as is any other.
	resp, b = s.e.do(http.MethodGet, "/api/v1/digests/"+s.v2, s.other, "")
	wantError(t, resp, b, http.StatusNotFound, "digest_not_found")
	if strings.Contains(string(b), "ml/a") {
		t.Fatalf("the error names ml/a: %s", b)
	}
}

func TestDigestPagination(t *testing.T) {
	s := newStory(t)
	var all []api.Occurrence
	path := "/api/v1/digests/" + s.v1 + "?limit=2"
	for i := 0; path != ""; i++ {
		var info api.DigestInfo
		resp := s.e.get(path, s.admin, &info)
		all = append(all, info.Occurrences...)
		path = ""
		if link := resp.Header.Get("Link"); link != "" {
			next := strings.TrimSuffix(strings.TrimPrefix(link, "<"), `>; rel="next"`)
			u, err := url.Parse(next)
			if err != nil || u.Query().Get("cursor") != info.NextCursor || u.Query().Get("limit") != "2" {
				t.Fatalf("Link %q does not lead to cursor %q", link, info.NextCursor)
			}
			path = next
		} else if info.NextCursor != "" {
			t.Fatal("next_cursor without a Link header")
		}
		if i > 3 {
			t.Fatal("pagination does not end")
		}
	}
	if len(all) != 3 || all[2].Commit.SHA != s.c1 {
		t.Fatalf("paged occurrences: %+v", all)
	}
	resp, b := s.e.do(http.MethodGet, "/api/v1/digests/"+s.v1+"?cursor=forged", s.admin, "")
	wantError(t, resp, b, http.StatusBadRequest, "invalid_cursor")
}

func TestDigestErrors(t *testing.T) {
	s := newStory(t)
	for _, d := range []string{"sha256:abc", "md5:" + strings.Repeat("a", 32), strings.Repeat("A", 64), "sha512:" + strings.Repeat("a", 128)} {
		resp, b := s.e.do(http.MethodGet, "/api/v1/digests/"+d, s.admin, "")
		wantError(t, resp, b, http.StatusBadRequest, "invalid_digest")
	}
	resp, b := s.e.do(http.MethodGet, "/api/v1/digests/sha256:"+strings.Repeat("0", 64), s.admin, "")
	wantError(t, resp, b, http.StatusNotFound, "digest_not_found")
	resp, b = s.e.do(http.MethodPost, "/api/v1/digests/"+s.v1, s.admin, "")
	wantError(t, resp, b, http.StatusMethodNotAllowed, "method_not_allowed")
	if resp.Header.Get("Allow") != "GET" {
		t.Fatalf("Allow %q", resp.Header.Get("Allow"))
	}
}

func TestRefFiles(t *testing.T) {
	s := newStory(t)
	var rf api.RefFiles
	s.e.get("/api/v1/repos/ml/a/refs/v1.0.0", s.reader, &rf)
	// models/, the folder holding every file, is the image form's /models.
	want := []api.File{{Path: "models/cls.onnx", Digest: s.v1, Size: 13, ImagePath: "/models/cls.onnx"},
		{Path: "models/tok.onnx", Digest: s.tok, Size: 9, ImagePath: "/models/tok.onnx"}}
	if rf.Repo != "ml/a" || rf.Ref != "v1.0.0" || rf.Commit.SHA != s.c1 || rf.ManifestDigest != published || !slices.Equal(rf.Files, want) {
		t.Fatalf("v1.0.0: %+v", rf)
	}
	// Image root "/" keeps the Git paths; a file the path filter leaves out
	// has no image path.
	resp, b := s.e.do(http.MethodPut, "/api/v1/repos/ml/a/git", s.admin,
		fmt.Sprintf(`{"url":%q,"image_root":"/","path_filter":"*cls.onnx"}`, s.a.Dir))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("reconnect: %d %s", resp.StatusCode, b)
	}
	s.e.get("/api/v1/repos/ml/a/refs/v1.0.0", s.reader, &rf)
	if len(rf.Files) != 2 || rf.Files[0].ImagePath != "/models/models/cls.onnx" || rf.Files[1].ImagePath != "" {
		t.Errorf("image root /, path filter *cls.onnx: files %+v", rf.Files)
	}
	resp, b = s.e.do(http.MethodPut, "/api/v1/repos/ml/a/git", s.admin, fmt.Sprintf(`{"url":%q,"image_root":"../x"}`, s.a.Dir))
	wantError(t, resp, b, http.StatusBadRequest, "invalid_source")
	for _, ref := range []string{"v1.1.0", s.c2, s.c2[:10], "refs%2Ftags%2Fv1.1.0"} {
		s.e.get("/api/v1/repos/ml/a/refs/"+ref, s.reader, &rf)
		if rf.Commit.SHA != s.c2 || len(rf.Files) != 2 || rf.Files[0].Path != "models/cls.onnx" || rf.Files[0].Digest != s.v2 ||
			rf.ManifestDigest != "" || rf.Commit.Message != "Classifier v2\n\nRetrained on more cats.\n" {
			t.Fatalf("%s: %+v", ref, rf)
		}
	}
	s.e.get("/api/v1/repos/ml/a/refs/main?limit=1", s.reader, &rf)
	if len(rf.Files) != 1 || rf.Files[0].Path != "models/cls.onnx" || rf.NextCursor == "" {
		t.Fatalf("page 1: %+v", rf)
	}
	s.e.get("/api/v1/repos/ml/a/refs/main?limit=1&cursor="+rf.NextCursor, s.reader, &rf)
	if len(rf.Files) != 1 || rf.Files[0].Path != "models/tok.onnx" || rf.NextCursor != "" {
		t.Fatalf("page 2: %+v", rf)
	}

	resp, b = s.e.do(http.MethodGet, "/api/v1/repos/ml/a/refs/v7", s.reader, "")
	wantError(t, resp, b, http.StatusNotFound, "ref_not_found")
	resp, b = s.e.do(http.MethodGet, "/api/v1/repos/ml/a/refs/main?cursor=%21%21", s.reader, "")
	wantError(t, resp, b, http.StatusBadRequest, "invalid_cursor")
	resp, b = s.e.do(http.MethodGet, "/api/v1/repos/ml/zzz/refs/v1", s.admin, "")
	wantError(t, resp, b, http.StatusNotFound, "repo_not_connected")
	resp, b = s.e.do(http.MethodGet, "/api/v1/repos/ml/b/refs/v9", s.reader, "")
	wantError(t, resp, b, http.StatusForbidden, "forbidden")
}

func TestRefFilesWhenThePublisherFails(t *testing.T) {
	s := newStory(t)
	s.a.Git("tag", "broken", s.c1)
	s.e.do(http.MethodPost, "/api/v1/repos/ml/a/git/sync", s.admin, "")
	var rf api.RefFiles
	s.e.get("/api/v1/repos/ml/a/refs/broken", s.reader, &rf)
	if rf.Commit.SHA != s.c1 || rf.ManifestDigest != "" || len(rf.Files) != 2 {
		t.Fatalf("%+v", rf)
	}
}

func TestHistory(t *testing.T) {
	s := newStory(t)
	var h api.History
	s.e.get("/api/v1/repos/ml/a/history?path=models/cls.onnx", s.reader, &h)
	type v struct {
		commit, digest string
		removed        bool
	}
	var got []v
	for _, x := range h.Versions {
		got = append(got, v{x.Commit.SHA, x.Digest, x.Removed})
	}
	want := []v{{s.c3, s.v1, false}, {s.c2, s.v2, false}, {s.c1, s.v1, false}}
	if h.Repo != "ml/a" || h.Path != "models/cls.onnx" || !slices.Equal(got, want) || h.Versions[1].Size != 24 {
		t.Fatalf("history: %+v", h)
	}

	// tok.onnx: added, removed, back with the revert; one version a page.
	want = []v{{s.c3, s.tok, false}, {s.c2, "", true}, {s.c1, s.tok, false}}
	cursor := ""
	for i, w := range want {
		s.e.get("/api/v1/repos/ml/a/history?path=models/tok.onnx&limit=1&cursor="+cursor, s.reader, &h)
		x := h.Versions
		if len(x) != 1 || (v{x[0].Commit.SHA, x[0].Digest, x[0].Removed}) != w || (h.NextCursor == "") != (i == 2) {
			t.Fatalf("page %d of tok.onnx: %+v", i+1, h)
		}
		cursor = h.NextCursor
	}

	resp, b := s.e.do(http.MethodGet, "/api/v1/repos/ml/a/history?path=models/none.onnx", s.reader, "")
	wantError(t, resp, b, http.StatusNotFound, "path_not_found")
	resp, b = s.e.do(http.MethodGet, "/api/v1/repos/ml/a/history", s.reader, "")
	wantError(t, resp, b, http.StatusBadRequest, "invalid_parameter")
}

func TestDiff(t *testing.T) {
	s := newStory(t)
	var d api.Diff
	s.e.get("/api/v1/repos/ml/a/diff?from=v1.0.0&to=v1.1.0", s.reader, &d)
	want := []api.Change{
		{Status: "changed", Path: "models/cls.onnx",
			Old: &api.File{Path: "models/cls.onnx", Digest: s.v1, Size: 13}, New: &api.File{Path: "models/cls.onnx", Digest: s.v2, Size: 24}},
		{Status: "added", Path: "models/extra.onnx", New: &api.File{Path: "models/extra.onnx", Digest: s.extra, Size: 13}},
		{Status: "removed", Path: "models/tok.onnx", Old: &api.File{Path: "models/tok.onnx", Digest: s.tok, Size: 9}},
	}
	if d.From != (api.RefAt{Ref: "v1.0.0", Commit: s.c1}) || d.To != (api.RefAt{Ref: "v1.1.0", Commit: s.c2}) ||
		d.Added != 1 || d.Removed != 1 || d.Changed != 1 || len(d.Changes) != 3 {
		t.Fatalf("diff: %+v", d)
	}
	for i := range want {
		if !sameChange(d.Changes[i], want[i]) {
			t.Errorf("change %d = %+v, want %+v", i, d.Changes[i], want[i])
		}
	}

	s.e.get("/api/v1/repos/ml/a/diff?from=v1.0.0&to=v1.1.1", s.reader, &d)
	if d.Added+d.Removed+d.Changed != 0 || len(d.Changes) != 0 || d.Changes == nil {
		t.Fatalf("v1.0.0 → v1.1.1, a revert: %+v", d)
	}
	s.e.get("/api/v1/repos/ml/a/diff?from=v1.1.1&to=v1.1.0", s.reader, &d)
	if d.Added != 1 || d.Removed != 1 || d.Changed != 1 {
		t.Fatalf("v1.1.1 → v1.1.0: %+v", d)
	}

	s.e.get("/api/v1/repos/ml/a/diff?from=v1.0.0&to=v1.1.0&limit=2", s.reader, &d)
	if len(d.Changes) != 2 || d.NextCursor == "" || d.Added != 1 || d.Removed != 1 || d.Changed != 1 {
		t.Fatalf("page 1: %+v", d)
	}
	s.e.get("/api/v1/repos/ml/a/diff?from=v1.0.0&to=v1.1.0&limit=2&cursor="+d.NextCursor, s.reader, &d)
	if len(d.Changes) != 1 || d.Changes[0].Path != "models/tok.onnx" || d.NextCursor != "" {
		t.Fatalf("page 2: %+v", d)
	}

	for _, q := range []string{"?from=v1.0.0", "?to=v1.0.0", "?from=v1.0.0&to=v1.1.0&limit=0", "?from=v1.0.0&to=v1.1.0&limit=x"} {
		resp, b := s.e.do(http.MethodGet, "/api/v1/repos/ml/a/diff"+q, s.reader, "")
		wantError(t, resp, b, http.StatusBadRequest, "invalid_parameter")
	}
	resp, b := s.e.do(http.MethodGet, "/api/v1/repos/ml/a/diff?from=v1.0.0&to=nope", s.reader, "")
	wantError(t, resp, b, http.StatusNotFound, "ref_not_found")
}

func sameChange(a, b api.Change) bool {
	same := func(x, y *api.File) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	return a.Status == b.Status && a.Path == b.Path && same(a.Old, b.Old) && same(a.New, b.New)
}

func TestRoutingAndAuth(t *testing.T) {
	s := newStory(t)
	tests := []struct {
		method, path, secret string
		status               int
		code, allow          string
	}{
		{"GET", "/api/v1/nothing", s.admin, 404, "not_found", ""},
		{"GET", "/api/v1/repos/ml/a", s.admin, 404, "repo_not_found", ""},
		{"POST", "/api/v1/repos/ml/a", s.admin, 405, "method_not_allowed", "DELETE, GET, PUT"},
		{"GET", "/api/v1/repos//x", s.admin, 400, "invalid_repo", ""},
		{"GET", "/api/v1/repos/ML/a/git", s.admin, 400, "invalid_repo", ""},
		{"GET", "/api/v1/repos/ml/a%2Fb/git", s.admin, 400, "invalid_repo", ""},
		{"POST", "/api/v1/repos/ml/a/git", s.admin, 405, "method_not_allowed", "DELETE, GET, PUT"},
		{"GET", "/api/v1/repos/ml/a/git/sync", s.admin, 405, "method_not_allowed", "POST"},
		{"DELETE", "/api/v1/pulls", s.admin, 405, "method_not_allowed", "GET"},
		{"GET", "/api/v1/repos/ml/a/git", "", 401, "unauthorized", ""},
		{"GET", "/api/v1/repos/ml/a/git", "blst_nope", 401, "unauthorized", ""},
		{"GET", "/api/v1/repos/ml/a/git", s.other, 403, "forbidden", ""},
		{"GET", "/api/v1/repos/ml/zzz/git", s.other, 403, "forbidden", ""}, // existence is not revealed
		{"DELETE", "/api/v1/repos/ml/a/git", s.reader, 403, "forbidden", ""},
		{"GET", "/api/v1/repos/ml/a/history?path=models/cls.onnx", s.other, 403, "forbidden", ""},
		{"GET", "/api/v1/repos/ml/a/diff?from=a&to=b", s.other, 403, "forbidden", ""},
		{"GET", "/api/v1/repos/ml/a/live", s.other, 403, "forbidden", ""},
	}
	for _, tt := range tests {
		resp, b := s.e.do(tt.method, tt.path, tt.secret, "")
		wantError(t, resp, b, tt.status, tt.code)
		if got := resp.Header.Get("Allow"); got != tt.allow {
			t.Errorf("%s %s: Allow %q, want %q", tt.method, tt.path, got, tt.allow)
		}
		if tt.status == 401 && resp.Header.Get("WWW-Authenticate") != `Basic realm="ballast"` {
			t.Errorf("%s %s: no challenge", tt.method, tt.path)
		}
	}
}

// A short digest (4 or more hex digits) resolves to the one digest of the
// caller's repositories it starts; one that starts several is refused
// with the candidates, one that starts none is not found.
func TestDigestByPrefix(t *testing.T) {
	s := newStory(t)
	var info api.DigestInfo
	for _, short := range []string{s.v1[:7+12], strings.TrimPrefix(s.v1, "sha256:")[:12]} {
		s.e.get("/api/v1/digests/"+short, s.admin, &info)
		if info.Digest != s.v1 || len(info.Occurrences) != 3 {
			t.Fatalf("by the prefix %s: %+v", short, info)
		}
	}
	// Two pointers whose oids share their first four hex digits, in a
	// repository only the admin reads.
	c := newGitRepo(t)
	seen := map[string]string{}
	var a, b string
	for i := 0; b == ""; i++ {
		content := fmt.Sprintf("blob %d", i)
		sum := sha256.Sum256([]byte(content))
		p := hex.EncodeToString(sum[:])[:4]
		if other, ok := seen[p]; ok {
			a, b = other, content
		}
		seen[p] = content
	}
	da := c.Pointer("a.onnx", a)
	c.Pointer("b.onnx", b)
	c.Commit("two", "w1")
	s.e.connect("ml/c", c.Dir)
	prefix := strings.TrimPrefix(da, "sha256:")[:4]
	resp, body := s.e.do(http.MethodGet, "/api/v1/digests/"+prefix, s.admin, "")
	wantError(t, resp, body, http.StatusConflict, "ambiguous_digest")
	if !strings.Contains(string(body), da) {
		t.Fatalf("the ambiguity does not name the candidates: %s", body)
	}
	// A reader of ml/a alone sees no candidate there: not found, no hint.
	resp, body = s.e.do(http.MethodGet, "/api/v1/digests/"+prefix, s.reader, "")
	if resp.StatusCode == http.StatusConflict || strings.Contains(string(body), da) {
		t.Fatalf("a reader of ml/a learns of ml/c's digests: %d %s", resp.StatusCode, body)
	}
	resp, body = s.e.do(http.MethodGet, "/api/v1/digests/abc", s.admin, "")
	wantError(t, resp, body, http.StatusBadRequest, "invalid_digest")
}

// A Git tag whose OCI tag was deleted by hand says so: its manifest is then
// the commit artifact's, and missing_oci_tag names the deleted tag.
func TestRefFilesShowsADeletedOCITag(t *testing.T) {
	s := newStory(t)
	var rf api.RefFiles
	s.e.get("/api/v1/repos/ml/a/refs/v1.1.1", s.reader, &rf)
	if rf.MissingOCITag != "v1.1.1" || rf.OCITag != "git-0123456789ab" || rf.ManifestDigest != published {
		t.Fatalf("v1.1.1 with its OCI tag deleted: %+v", rf)
	}
	s.e.get("/api/v1/repos/ml/a/refs/v1.0.0", s.reader, &rf)
	if rf.MissingOCITag != "" || rf.OCITag != "v1.0.0" {
		t.Fatalf("v1.0.0: %+v", rf)
	}
}
