package e2e

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestGitOpsBadInput: what a Git repository can throw at the indexer and
// publisher. Remotes that cannot be reached or are not Git fail the sync
// with a clear error and leave the server up; malformed and oversized
// pointer files are reported while the rest is published; Git tag names
// that are not valid OCI tags are mapped; a force-pushed tag moves its OCI
// tag and a deleted one takes its OCI tags with it.
func TestGitOpsBadInput(t *testing.T) {
	s := gitopsServer(t)
	ada := s.createToken(t, "ada", "ml/*:write")

	t.Run("unreachable remote", func(t *testing.T) {
		const url = "http://127.0.0.1:1/x.git"
		err := connectAndSync(t, s, ada, "ml/unreachable", url)
		assertSyncError(t, s, err, "ml/unreachable", "Git remote unreachable", "502", "127.0.0.1:1")
		checkLastError(t, s, ada, "ml/unreachable", "unreachable")
		resp, body := s.do(t, ada, http.MethodPost, s.url+"/api/v1/repos/ml/unreachable/git/sync", nil, nil)
		assertAPIError(t, "POST …/git/sync of an unreachable remote", resp, body, http.StatusBadGateway, "git_unreachable")
	})

	t.Run("local directory that is not Git", func(t *testing.T) {
		dir := t.TempDir()
		writeFileT(t, filepath.Join(dir, "README.md"), "not a repository\n")
		err := connectAndSync(t, s, ada, "ml/plain-dir", dir)
		assertSyncError(t, s, err, "ml/plain-dir", "not a Git repository", "422")
		checkLastError(t, s, ada, "ml/plain-dir", "not a Git repository")
		resp, body := s.do(t, ada, http.MethodPost, s.url+"/api/v1/repos/ml/plain-dir/git/sync", nil, nil)
		assertAPIError(t, "POST …/git/sync of a plain directory", resp, body, http.StatusUnprocessableEntity, "not_git")
	})

	t.Run("local file", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "model.onnx")
		writeFileT(t, file, "weights\n")
		err := connectAndSync(t, s, ada, "ml/plain-file", file)
		assertSyncError(t, s, err, "ml/plain-file", "not a Git repository", "422")
	})

	t.Run("missing local path", func(t *testing.T) {
		err := connectAndSync(t, s, ada, "ml/missing", filepath.Join(t.TempDir(), "nowhere.git"))
		assertSyncError(t, s, err, "ml/missing", "Git remote unreachable", "502", "nowhere.git")
	})

	t.Run("HTTP server that is not Git", func(t *testing.T) {
		for _, c := range []struct {
			name    string
			handler http.HandlerFunc
		}{
			{"404", http.NotFound},
			{"web page", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				w.Write([]byte("<!doctype html><title>Acme</title><p>Welcome!</p>\n"))
			}},
		} {
			t.Run(c.name, func(t *testing.T) {
				web := httptest.NewServer(c.handler)
				defer web.Close()
				repo := "ml/web-" + strings.ReplaceAll(c.name, " ", "-")
				err := connectAndSync(t, s, ada, repo, web.URL+"/acme/model.git")
				assertSyncError(t, s, err, repo, "not a Git repository", "422")
			})
		}
	})

	t.Run("malformed and oversized pointers", func(t *testing.T) {
		m := newModelRepo(t, s, "ml/pointers", "ada", ada)
		good := writeRandom(t, filepath.Join(m.work, "models/good.onnx"), 64<<10)
		m.g.run(m.work, "add", "-A")
		// Committed past the LFS clean filter, as a broken merge or a
		// client without git-lfs would: straight into the index.
		m.addRaw("models/bad.onnx", "version https://git-lfs.github.com/spec/v1\noid sha256:not-a-hash\nsize 12\n")
		m.addRaw("models/big.onnx", strings.Repeat("weights without git-lfs\n", 200))
		m.g.run(m.work, "commit", "-q", "-m", "Good model, broken pointers")
		commit := m.head()
		m.g.run(m.work, "tag", "v0.1.0")
		m.push("main", "--tags")
		m.connect()
		out := m.sync()
		if !strings.Contains(out, "2 problems") || !strings.Contains(out, "malformed-pointer") || !strings.Contains(out, "oversized-pointer") {
			t.Errorf("ballast repo sync: %q, want the malformed and the oversized pointer reported", out)
		}

		st := m.status()
		for _, want := range []problemDoc{
			{Commit: commit, Path: "models/bad.onnx", Kind: "malformed-pointer"},
			{Commit: commit, Path: "models/big.onnx", Kind: "oversized-pointer"},
		} {
			if !slices.ContainsFunc(st.Problems, func(p problemDoc) bool {
				return p.Commit == want.Commit && p.Path == want.Path && p.Kind == want.Kind && p.Detail != ""
			}) {
				t.Errorf("ballast repo show --json: problems %+v, want %s %s at %s with a detail", st.Problems, want.Kind, want.Path, commit)
			}
		}
		if len(st.Problems) != 2 {
			t.Errorf("ballast repo show --json: %d problems %+v, want 2", len(st.Problems), st.Problems)
		}
		if text := m.mustCLI(ada, "repo", "show", m.repo); !strings.Contains(text, "models/bad.onnx") || !strings.Contains(text, "malformed-pointer") {
			t.Errorf("ballast repo show: %q, want the malformed pointer listed", text)
		}

		// The good file is published all the same.
		mm, _ := m.waitManifest("v0.1.0", nil)
		assertModelPack(t, mm, commit, "v0.1.0", "models/good.onnx", good, 64<<10)
		dst := t.TempDir()
		m.oci.run(dst, "oras", "pull", "--plain-http", "-o", dst, m.ref("v0.1.0"))
		if got := sha256File(t, filepath.Join(dst, "models/good.onnx")); got != good {
			t.Errorf("models/good.onnx after oras pull: sha256 %s, want %s", got, good)
		}
		for _, f := range []string{"models/bad.onnx", "models/big.onnx"} {
			if _, err := os.Stat(filepath.Join(dst, f)); err == nil {
				t.Errorf("oras pull wrote %s, which is not an LFS file", f)
			}
		}
		assertHealthy(t, s, "indexing broken pointers")
	})

	t.Run("tag names that are not OCI tags", func(t *testing.T) {
		m := newModelRepo(t, s, "ml/tags", "ada", ada)
		oid := m.commitFile("models/tags.onnx", 32<<10, "Model")
		commit := m.head()
		long := "release/" + strings.Repeat("long-name.", 20) + "end" // 211 characters
		m.g.run(m.work, "tag", "release/2026+rc1")
		m.g.run(m.work, "tag", long)
		m.push("main", "--tags")
		m.connect()
		m.sync()

		mm, raw := m.waitManifest("release-2026-rc1", nil)
		if !slices.Equal(layerDigests(mm), []string{"sha256:" + oid}) || mm.Annotations[revisionKey] != commit {
			t.Errorf("release-2026-rc1: layers %v, revision %q; want [sha256:%s] at %s", layerDigests(mm), mm.Annotations[revisionKey], oid, commit)
		}
		m.waitManifest("release-2026-rc1-image", nil)
		// The provenance API names the manifest the tag was published as,
		// whichever documented form of the ref is asked for.
		for _, ref := range []string{"release%2F2026%2Brc1", "refs%2Ftags%2Frelease%2F2026%2Brc1"} {
			r := apiGet[refFilesDoc](t, s, ada, "/api/v1/repos/ml/tags/refs/"+ref)
			if r.Commit.SHA != commit || r.ManifestDigest != digestOf([]byte(raw)) {
				t.Errorf("GET /api/v1/repos/ml/tags/refs/%s: commit %s, manifest_digest %q; want %s and the digest of release-2026-rc1, %s",
					ref, r.Commit.SHA, r.ManifestDigest, commit, digestOf([]byte(raw)))
			}
		}

		// The 211-character tag is cut to an OCI tag's 128 characters.
		prefix := strings.ReplaceAll(long[:100], "/", "-")
		deadline := time.Now().Add(publishTimeout)
		var tags []string
		for {
			tags = m.tags()
			var plain, image string
			for _, tag := range tags {
				if strings.HasPrefix(tag, prefix) {
					if strings.HasSuffix(tag, "-image") {
						image = tag
					} else {
						plain = tag
					}
				}
			}
			if plain != "" && image != "" {
				if len(plain) > 128 || len(image) > 128 {
					t.Errorf("the long Git tag is published as %q and %q, longer than an OCI tag can be", plain, image)
				}
				lm, _ := m.manifest(plain)
				if !slices.Equal(layerDigests(lm), []string{"sha256:" + oid}) {
					t.Errorf("%s: layers %v, want [sha256:%s]", plain, layerDigests(lm), oid)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("oras repo tags: %q, want the %d-character Git tag %q published as a tag starting %q and its -image form", tags, len(long), long, prefix)
			}
			time.Sleep(100 * time.Millisecond)
		}
		st := m.status()
		for _, name := range []string{"release/2026+rc1", long} {
			if !slices.ContainsFunc(st.Refs, func(r refDoc) bool { return r.Kind == "tag" && r.Name == name && r.Commit == commit }) {
				t.Errorf("ballast repo show --json: refs %+v, want tag %q at %s", st.Refs, name, commit)
			}
		}
		assertHealthy(t, s, "publishing odd tag names")
	})

	t.Run("force-pushed and deleted tags", func(t *testing.T) {
		m := newModelRepo(t, s, "ml/rewritten", "ada", ada)
		const path = "models/rewritten.onnx"
		a := m.commitFile(path, 48<<10, "Model, first try")
		commitA := m.head()
		m.g.run(m.work, "tag", "v1.0.0")
		m.g.run(m.work, "tag", "doomed")
		m.push("main", "--tags")
		m.connect()
		m.sync()
		m.waitManifest("v1.0.0", hasLayers("sha256:"+a))
		m.waitManifest("doomed", hasLayers("sha256:"+a))
		imageA, _ := m.waitManifest("v1.0.0-image", nil)

		// Rewrite history: amend the tagged commit, move the tag, force
		// push; and delete the other tag.
		b := writeRandom(t, filepath.Join(m.work, path), 40<<10)
		m.g.run(m.work, "commit", "-q", "-a", "--amend", "-m", "Model, second try")
		commitB := m.head()
		m.g.run(m.work, "tag", "-f", "v1.0.0")
		m.push("-f", "main")
		m.push("-f", "--tags")
		m.push(":refs/tags/doomed")
		out := m.sync()
		for _, want := range []string{"v1.0.0", short12(commitA), short12(commitB), "doomed"} {
			if !strings.Contains(out, want) {
				t.Errorf("ballast repo sync after the force push: %q, want it to list %s", out, want)
			}
		}

		mm, _ := m.waitManifest("v1.0.0", hasLayers("sha256:"+b))
		assertModelPack(t, mm, commitB, "v1.0.0", path, b, 40<<10)
		m.waitManifest("v1.0.0-image", func(im modelManifest) bool {
			return im.Annotations[revisionKey] == commitB && !slices.Equal(layerDigests(im), layerDigests(imageA))
		})
		dst := t.TempDir()
		m.oci.run(dst, "oras", "pull", "--plain-http", "-o", dst, m.ref("v1.0.0"))
		if got := sha256File(t, filepath.Join(dst, path)); got != b {
			t.Errorf("%s after oras pull :v1.0.0 of the rewritten tag: sha256 %s, want %s", path, got, b)
		}

		deadline := time.Now().Add(publishTimeout)
		for {
			tags := m.tags()
			if !slices.Contains(tags, "doomed") && !slices.Contains(tags, "doomed-image") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("oras repo tags: %q: the deleted Git tag doomed is still published", tags)
			}
			time.Sleep(100 * time.Millisecond)
		}

		st := m.status()
		for _, name := range []string{"main", "v1.0.0"} {
			if !slices.ContainsFunc(st.Refs, func(r refDoc) bool { return r.Name == name && r.Commit == commitB }) {
				t.Errorf("ballast repo show --json: refs %+v, want %s at %s", st.Refs, name, commitB)
			}
		}
		if slices.ContainsFunc(st.Refs, func(r refDoc) bool { return r.Name == "doomed" }) {
			t.Errorf("ballast repo show --json: refs %+v still hold the deleted tag doomed", st.Refs)
		}
		// The amended-away commit is no longer in the history ballast
		// describes; the new one is.
		if out, err := m.cli(ada, "which", a, "--json"); err == nil || !strings.Contains(err.Error(), "404") {
			t.Errorf("ballast which %s (only in the rewritten commit): %v\n%s; want 404 digest_not_found", a, err, out)
		}
		w := decodeJSON[digestDoc](t, "ballast which --json", m.mustCLI(ada, "which", b, "--json"))
		if len(w.Occurrences) != 1 || w.Occurrences[0].Commit.SHA != commitB ||
			!slices.ContainsFunc(w.Occurrences[0].Refs, func(r refDoc) bool { return r.Kind == "tag" && r.Name == "v1.0.0" }) {
			t.Errorf("ballast which %s: %+v, want commit %s with tag v1.0.0", b, w.Occurrences, commitB)
		}
		assertHealthy(t, s, "a force push")
	})
}

// addRaw stages content at path in the index without running the LFS
// clean filter (nor touching the working tree).
func (m *modelRepo) addRaw(path, content string) {
	m.t.Helper()
	tmp := filepath.Join(m.t.TempDir(), "blob")
	writeFileT(m.t, tmp, content)
	sha := strings.TrimSpace(m.g.run(m.work, "hash-object", "-w", "--no-filters", tmp))
	m.g.run(m.work, "update-index", "--add", "--cacheinfo", "100644,"+sha+","+path)
}

// connectAndSync connects repo to url with the admin token, without the
// check that the remote answers, and syncs it with token; it returns the
// sync's error.
func connectAndSync(t *testing.T, s *server, token, repo, url string) error {
	t.Helper()
	if _, err := s.ballast(t, "repo", "connect", repo, "--git", url, "--no-check", "--server", s.url, "--token", s.admin); err != nil {
		t.Fatalf("ballast repo connect %s --git %s: %v", repo, url, err)
	}
	_, err := s.ballast(t, "repo", "sync", repo, "--server", s.url, "--token", token)
	return err
}

// assertSyncError checks that a sync failed with a message holding every
// one of wants, and that the server is still up.
func assertSyncError(t *testing.T, s *server, err error, repo string, wants ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("ballast repo sync %s succeeded, want an error", repo)
	}
	t.Logf("ballast repo sync %s: %v", repo, err)
	for _, w := range wants {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("ballast repo sync %s: %v\nwant the message to hold %q", repo, err, w)
		}
	}
	assertHealthy(t, s, "ballast repo sync "+repo)
}

// checkLastError checks that `ballast repo show` reports the failed sync.
func checkLastError(t *testing.T, s *server, token, repo, want string) {
	t.Helper()
	out, err := s.ballast(t, "repo", "show", repo, "--json", "--server", s.url, "--token", token)
	if err != nil {
		t.Fatal(err)
	}
	st := decodeJSON[gitStatusDoc](t, "ballast repo show --json", out)
	if !strings.Contains(st.LastError, want) {
		t.Errorf("ballast repo show %s: last_error %q, want it to say %q", repo, st.LastError, want)
	}
}

// assertAPIError checks an API error: status and the documented code.
func assertAPIError(t *testing.T, what string, resp *http.Response, body []byte, status int, code string) {
	t.Helper()
	e := decodeJSON[struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}](t, what, string(body))
	if resp.StatusCode != status || e.Error.Code != code || e.Error.Message == "" {
		t.Errorf("%s: status %d, error %+v; want %d %s with a message", what, resp.StatusCode, e.Error, status, code)
	}
}

// TestGitSourceAddressGuard: a user who may write a repository must not
// make the server fetch from its own loopback services or a cloud metadata
// address. Connecting checks the remote, so both literal addresses and names
// are refused at connect; a name saved without the check is refused when
// the sync resolves it. Every error says why.
func TestGitSourceAddressGuard(t *testing.T) {
	s := startServer(t, "--git-poll-interval", "1h")
	ada := s.createToken(t, "ada", "ml/*:admin") // may connect ml/ repositories, not the server's disk
	web := httptest.NewServer(http.NotFoundHandler())
	defer web.Close()
	port := web.URL[strings.LastIndex(web.URL, ":")+1:]

	for _, url := range []string{
		"http://127.0.0.1:" + port + "/ml/x.git",
		"http://[::1]:" + port + "/ml/x.git",
		"http://169.254.169.254/latest/meta-data.git",
	} {
		_, err := s.ballast(t, "repo", "connect", "ml/guard", "--git", url, "--server", s.url, "--token", ada)
		if err == nil || !strings.Contains(err.Error(), "403") || !strings.Contains(err.Error(), "address not allowed") {
			t.Errorf("ballast repo connect --git %s: %v, want a 403 saying the address is not allowed", url, err)
		}
	}

	byName := "http://localhost:" + port + "/ml/x.git"
	_, err := s.ballast(t, "repo", "connect", "ml/guard", "--git", byName, "--server", s.url, "--token", ada)
	if err == nil || !strings.Contains(err.Error(), "403") || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("ballast repo connect --git %s: %v, want a 403 saying loopback is not allowed", byName, err)
	}
	if _, err := s.ballast(t, "repo", "connect", "ml/guard", "--git", byName, "--no-check", "--server", s.url, "--token", ada); err != nil {
		t.Fatalf("connect %s --no-check (a name, checked when resolved): %v", byName, err)
	}
	_, err = s.ballast(t, "repo", "sync", "ml/guard", "--server", s.url, "--token", ada)
	assertSyncError(t, s, err, "ml/guard", "403", "loopback", "--git-allow-loopback")
}
