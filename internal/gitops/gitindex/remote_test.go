package gitindex

import (
	"context"
	"errors"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestUnreachableAndNotGit(t *testing.T) {
	ctx := context.Background()
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<html>a web page</html>"))
	}))
	defer html.Close()
	plain := t.TempDir()
	os.WriteFile(filepath.Join(plain, "file.txt"), []byte("x"), 0o644)
	x := newIndexer(t)
	for _, tc := range []struct {
		url  string
		want error
	}{
		{"http://127.0.0.1:1/x.git", ErrUnreachable},
		{filepath.Join(plain, "missing"), ErrUnreachable},
		{plain, ErrNotGit},
		{"file://" + filepath.ToSlash(plain), ErrNotGit},
		{filepath.Join(plain, "file.txt"), ErrNotGit},
		{html.URL + "/x.git", ErrNotGit},
	} {
		if err := x.Connect(ctx, "ml/x", Source{URL: tc.url}); err != nil {
			t.Fatal(err)
		}
		_, err := x.Sync(ctx, "ml/x")
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.url, err, tc.want)
			continue
		}
		st, _ := x.Status(ctx, "ml/x")
		if st.LastError != err.Error() || st.LastSync.IsZero() {
			t.Errorf("%s: status %+v, want the error recorded", tc.url, st)
		}
		t.Logf("%s: %v", tc.url, err)
	}
	if _, err := x.Sync(ctx, "ml/never"); !errors.Is(err, ErrNotConnected) {
		t.Errorf("sync of an unconnected repo: %v", err)
	}
}

func TestConnectValidates(t *testing.T) {
	ctx := context.Background()
	x := newIndexer(t)
	abs := t.TempDir()
	for _, tc := range []struct {
		repo string
		src  Source
	}{
		{"ml/x", Source{}},
		{"ml/x", Source{URL: "relative/path"}},
		{"ml/x", Source{URL: "ssh://git@example.com/x.git"}},
		{"ml/x", Source{URL: "git@example.com:x.git"}},
		{"ml/x", Source{URL: "http://"}},
		{"ml/x", Source{URL: "https://user:secret@example.com/x.git"}},
		{"ml/x", Source{URL: "file://host/x"}},
		{"ml/x", Source{URL: abs, Username: "u", Password: "p"}},
		{"ML/X", Source{URL: abs}},
		{"../x", Source{URL: abs}},
	} {
		err := x.Connect(ctx, tc.repo, tc.src)
		if !errors.Is(err, ErrInvalidSource) {
			t.Errorf("Connect(%q, %+v): %v, want ErrInvalidSource", tc.repo, tc.src, err)
		}
		if strings.Contains(errString(err), "secret") {
			t.Errorf("error shows the password: %v", err)
		}
	}
	for _, u := range []string{abs, "file://" + filepath.ToSlash(abs), "https://example.com/ml/x.git", "HTTP://example.com/x"} {
		if err := x.Connect(ctx, "ml/x", Source{URL: u}); err != nil {
			t.Errorf("Connect(%q): %v", u, err)
		}
	}
	if err := x.Connect(ctx, "ml/x", Source{URL: "https://example.com/x.git", Username: "u", Password: "p",
		PathFilter: "models/**"}); err != nil {
		t.Fatal(err)
	}
	src, err := x.Source(ctx, "ml/x")
	want := Source{URL: "https://example.com/x.git", Username: "u", Password: "p", TagPattern: "*", PathFilter: "models/**"}
	if err != nil || src != want {
		t.Errorf("source %+v, %v; want %+v", src, err, want)
	}
	if repos, err := x.Connected(ctx); err != nil || len(repos) != 1 || repos[0] != "ml/x" {
		t.Errorf("connected %v, %v", repos, err)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestDisconnectAndReconnect(t *testing.T) {
	ctx := context.Background()
	g := newGitRepo(t)
	g.commit("one")
	x := newIndexer(t)
	connectAndSync(t, x, "ml/x", g)
	if _, err := os.Stat(x.mirrorPath("ml/x")); err != nil {
		t.Fatalf("no mirror: %v", err)
	}

	// Another URL starts from nothing.
	other := newGitRepo(t)
	oc := other.commit("elsewhere")
	if err := x.Connect(ctx, "ml/x", Source{URL: other.dir}); err != nil {
		t.Fatal(err)
	}
	if refs, _ := x.Refs(ctx, "ml/x"); len(refs) != 0 {
		t.Fatalf("refs of the old URL survive: %+v", refs)
	}
	res := mustSync(t, x, "ml/x")
	if res.NewCommits != 1 || len(res.Changed) != 1 || res.Changed[0].New != oc || res.Changed[0].Old != "" {
		t.Fatalf("sync of the new URL: %+v", res)
	}

	if err := x.Disconnect(ctx, "ml/x"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(x.mirrorPath("ml/x")); !os.IsNotExist(err) {
		t.Errorf("mirror left behind: %v", err)
	}
	if _, err := x.Source(ctx, "ml/x"); !errors.Is(err, ErrNotConnected) {
		t.Errorf("source after disconnect: %v", err)
	}
	if _, err := x.Refs(ctx, "ml/x"); !errors.Is(err, ErrNotConnected) {
		t.Errorf("refs after disconnect: %v", err)
	}
	if err := x.Disconnect(ctx, "ml/x"); !errors.Is(err, ErrNotConnected) {
		t.Errorf("second disconnect: %v", err)
	}
	var n int
	x.db.QueryRow(`SELECT COUNT(*) FROM git_commits`).Scan(&n)
	if n != 0 {
		t.Errorf("%d commits left after disconnect", n)
	}
}

// TestHTTPRemote fetches over smart HTTP from git http-backend behind
// Basic authentication.
func TestHTTPRemote(t *testing.T) {
	ctx := context.Background()
	g := newGitRepo(t)
	g.write(".gitattributes", lfsAttributes)
	p, oid := model("served over http")
	g.write("m.bin", p)
	g.commit("v1")
	g.git("tag", "v1")
	root := t.TempDir()
	g.git("clone", "-q", "--bare", g.dir, filepath.Join(root, "model.git"))
	execPath, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Skip("git --exec-path:", err)
	}
	backend := filepath.Join(strings.TrimSpace(string(execPath)), "git-http-backend")
	if _, err := os.Stat(backend); err != nil {
		t.Skip("no git-http-backend")
	}
	cgiHandler := &cgi.Handler{Path: backend, Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, pw, ok := r.BasicAuth(); !ok || u != "reader" || pw != "s3cret" {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		cgiHandler.ServeHTTP(w, r)
	}))
	defer srv.Close()

	x := newIndexer(t)
	src := Source{URL: srv.URL + "/model.git", Username: "reader", Password: "wrong"}
	if err := x.Connect(ctx, "ml/x", src); err != nil {
		t.Fatal(err)
	}
	if _, err := x.Sync(ctx, "ml/x"); !errors.Is(err, ErrUnreachable) {
		t.Fatalf("wrong password: %v, want ErrUnreachable", err)
	}
	src.Password = "s3cret"
	if err := x.Connect(ctx, "ml/x", src); err != nil {
		t.Fatal(err)
	}
	res := mustSync(t, x, "ml/x")
	if res.NewCommits != 1 {
		t.Fatalf("result %+v", res)
	}
	files, err := x.Files(ctx, "ml/x", "v1")
	if err != nil || len(files) != 1 || files[0].OID != oid {
		t.Fatalf("files %+v, %v", files, err)
	}
}

func TestRunPollsAndConcurrentSyncs(t *testing.T) {
	g := newGitRepo(t)
	g.commit("one")
	x := newIndexer(t)
	if err := x.Connect(context.Background(), "ml/x", Source{URL: g.dir}); err != nil {
		t.Fatal(err)
	}

	// Syncs of one repository are serialised: both succeed.
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := x.Sync(context.Background(), "ml/x"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()

	ctx, cancel := context.WithCancel(context.Background())
	synced := make(chan SyncResult, 100)
	done := make(chan struct{})
	go func() {
		x.Run(ctx, 20*time.Millisecond, func(repo string, res SyncResult) { synced <- res })
		close(done)
	}()
	<-synced
	g.commit("two")
	deadline := time.After(10 * time.Second)
	for found := false; !found; {
		select {
		case res := <-synced:
			found = res.NewCommits == 1
		case <-deadline:
			t.Fatal("Run never indexed the new commit")
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func TestEmptyRemoteAndAllRefsDeleted(t *testing.T) {
	ctx := context.Background()
	g := newGitRepo(t)
	c1 := g.commit("one")
	g.git("tag", "v1")
	bare := filepath.Join(t.TempDir(), "bare.git")
	g.git("clone", "-q", "--bare", g.dir, bare)
	x := newIndexer(t)
	if err := x.Connect(ctx, "ml/x", Source{URL: bare}); err != nil {
		t.Fatal(err)
	}
	if res := mustSync(t, x, "ml/x"); res.NewCommits != 1 || len(res.Changed) != 2 {
		t.Fatalf("first sync %+v", res)
	}
	g.git("--git-dir", bare, "update-ref", "-d", "refs/heads/main")
	g.git("--git-dir", bare, "update-ref", "-d", "refs/tags/v1")
	res := mustSync(t, x, "ml/x")
	want := []RefChange{{Name: "main", Kind: KindBranch, Old: c1}, {Name: "v1", Kind: KindTag, Old: c1}}
	if !reflect.DeepEqual(res.Changed, want) {
		t.Fatalf("changed %+v, want %+v", res.Changed, want)
	}
	if _, err := x.Commit(ctx, "ml/x", c1); !errors.Is(err, ErrUnknownRef) {
		t.Errorf("a commit no ref reaches is still indexed: %v", err)
	}

	empty := filepath.Join(t.TempDir(), "empty.git")
	g.git("init", "-q", "--bare", empty)
	if err := x.Connect(ctx, "ml/empty", Source{URL: empty}); err != nil {
		t.Fatal(err)
	}
	if res := mustSync(t, x, "ml/empty"); res.NewCommits != 0 || len(res.Changed) != 0 {
		t.Errorf("empty remote: %+v", res)
	}
}
