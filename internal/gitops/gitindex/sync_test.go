package gitindex

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"
)

func TestSyncIndexesCommitsRefsAndFiles(t *testing.T) {
	ctx := context.Background()
	g := newGitRepo(t)
	p1, oid1 := model("weights v1")
	pc, oidc := model("config")
	g.write(".gitattributes", lfsAttributes)
	g.write("models/model.bin", p1)
	g.write("models/config.bin", pc)
	g.write("README.md", "hello\n")
	c1 := g.commit("model v1")
	g.git("tag", "-a", "v1.0.0", "-m", "release 1")
	p2, oid2 := model("weights v2")
	g.write("models/model.bin", p2)
	c2 := g.commit("model v2\n\nbetter")
	g.git("branch", "dev", c1)

	x := newIndexer(t)
	res := connectAndSync(t, x, "ml/cat", g)
	if res.NewCommits != 2 || len(res.Problems) != 0 {
		t.Fatalf("result %+v", res)
	}
	wantChanged := []RefChange{
		{Name: "dev", Kind: KindBranch, New: c1},
		{Name: "main", Kind: KindBranch, New: c2},
		{Name: "v1.0.0", Kind: KindTag, New: c1},
	}
	if !reflect.DeepEqual(res.Changed, wantChanged) {
		t.Fatalf("changed %+v, want %+v", res.Changed, wantChanged)
	}

	c, err := x.Commit(ctx, "ml/cat", c2)
	if err != nil {
		t.Fatal(err)
	}
	want := Commit{
		SHA: c2, Parents: []string{c1},
		AuthorName: "Ada Lovelace", AuthorEmail: "ada@example.com",
		CommitterName: "Charles Babbage", CommitterEmail: "cb@example.com",
		Message: "model v2\n\nbetter\n",
	}
	at, ct := c.AuthorTime, c.CommitTime
	c.AuthorTime, c.CommitTime = time.Time{}, time.Time{}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("commit %+v, want %+v", c, want)
	}
	if _, off := at.Zone(); off != 2*3600 || !at.Equal(ct) || at.Unix() != g.clock {
		t.Errorf("times %v %v, want %d at +0200", at, ct, g.clock)
	}

	files, err := x.Files(ctx, "ml/cat", "v1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	wantFiles := []File{
		{Path: "models/config.bin", OID: oidc, Size: 6},
		{Path: "models/model.bin", OID: oid1, Size: 10},
	}
	if !reflect.DeepEqual(files, wantFiles) {
		t.Fatalf("files at v1.0.0 %+v, want %+v", files, wantFiles)
	}
	files, _ = x.Files(ctx, "ml/cat", "main")
	if files[1].OID != oid2 {
		t.Errorf("model at main %+v, want oid %s", files[1], oid2)
	}

	refs, err := x.Refs(ctx, "ml/cat")
	if err != nil {
		t.Fatal(err)
	}
	wantRefs := []Ref{{"dev", KindBranch, c1}, {"main", KindBranch, c2}, {"v1.0.0", KindTag, c1}}
	if !reflect.DeepEqual(refs, wantRefs) {
		t.Fatalf("refs %+v, want %+v", refs, wantRefs)
	}
	for ref, sha := range map[string]string{
		"v1.0.0": c1, "refs/tags/v1.0.0": c1, "main": c2, "refs/heads/dev": c1, c1: c1, c2[:7]: c2,
	} {
		got, err := x.ResolveRef(ctx, "ml/cat", ref)
		if err != nil || got.SHA != sha {
			t.Errorf("ResolveRef(%q) = %s, %v; want %s", ref, got.SHA, err, sha)
		}
	}
	for _, ref := range []string{"v9", "refs/heads/v1.0.0", c1[:6], "0000000"} {
		if _, err := x.ResolveRef(ctx, "ml/cat", ref); !errors.Is(err, ErrUnknownRef) {
			t.Errorf("ResolveRef(%q): %v, want ErrUnknownRef", ref, err)
		}
	}
	if _, err := x.ResolveRef(ctx, "ml/other", "main"); !errors.Is(err, ErrNotConnected) {
		t.Errorf("unconnected repo: %v, want ErrNotConnected", err)
	}
	st, err := x.Status(ctx, "ml/cat")
	if err != nil || st.LastError != "" || st.LastSync.IsZero() {
		t.Errorf("status %+v, %v", st, err)
	}
}

func TestIncrementalSyncWalksOnlyNewCommits(t *testing.T) {
	g := newGitRepo(t)
	g.write(".gitattributes", lfsAttributes)
	for i := range 5 {
		p, _ := model(string(rune('a' + i)))
		g.write("m.bin", p)
		g.commit("c")
	}
	x := newIndexer(t)
	if res := connectAndSync(t, x, "ml/x", g); res.NewCommits != 5 || x.stats.walked.Load() != 5 {
		t.Fatalf("first sync: %d new, %d walked", res.NewCommits, x.stats.walked.Load())
	}
	for i := range 3 {
		p, _ := model(string(rune('k' + i)))
		g.write("m.bin", p)
		g.commit("more")
	}
	x.stats.walked.Store(0)
	res := mustSync(t, x, "ml/x")
	if res.NewCommits != 3 || x.stats.walked.Load() != 3 {
		t.Fatalf("second sync: %d new, %d walked; want 3, 3", res.NewCommits, x.stats.walked.Load())
	}
	if len(res.Changed) != 1 || res.Changed[0].Name != "main" || res.Changed[0].Old == "" {
		t.Errorf("changed %+v", res.Changed)
	}
	x.stats.walked.Store(0)
	res = mustSync(t, x, "ml/x")
	if res.NewCommits != 0 || len(res.Changed) != 0 || x.stats.walked.Load() != 0 {
		t.Fatalf("idle sync: %+v, %d walked", res, x.stats.walked.Load())
	}
}

func TestTagMovedAndDeleted(t *testing.T) {
	ctx := context.Background()
	g := newGitRepo(t)
	c1 := g.commit("one")
	g.git("tag", "v1")
	g.git("tag", "-a", "v0", "-m", "old")
	c2 := g.commit("two")
	x := newIndexer(t)
	connectAndSync(t, x, "ml/x", g)

	g.git("tag", "-f", "v1", c2)
	g.git("tag", "-d", "v0")
	res := mustSync(t, x, "ml/x")
	want := []RefChange{
		{Name: "v0", Kind: KindTag, Old: c1},
		{Name: "v1", Kind: KindTag, Old: c1, New: c2},
	}
	if !reflect.DeepEqual(res.Changed, want) {
		t.Fatalf("changed %+v, want %+v", res.Changed, want)
	}
	if c, err := x.ResolveRef(ctx, "ml/x", "v1"); err != nil || c.SHA != c2 {
		t.Errorf("v1 = %s, %v; want %s", c.SHA, err, c2)
	}
	if _, err := x.ResolveRef(ctx, "ml/x", "v0"); !errors.Is(err, ErrUnknownRef) {
		t.Errorf("deleted tag: %v", err)
	}
	if _, err := x.Commit(ctx, "ml/x", c1); err != nil {
		t.Errorf("c1 is still on main: %v", err)
	}
}

func TestForcePushedHistoryIsFollowed(t *testing.T) {
	ctx := context.Background()
	g := newGitRepo(t)
	g.write(".gitattributes", lfsAttributes)
	base := g.commit("base")
	p, oid := model("bad model")
	g.write("m.bin", p)
	bad := g.commit("bad")
	g.git("tag", "v2")
	x := newIndexer(t)
	connectAndSync(t, x, "ml/x", g)

	// Rewrite: drop "bad", commit something else, move the tag.
	g.git("reset", "-q", "--hard", base)
	p2, oid2 := model("good model")
	g.write("m.bin", p2)
	good := g.commit("good")
	g.git("tag", "-f", "v2")
	res := mustSync(t, x, "ml/x")
	want := []RefChange{
		{Name: "main", Kind: KindBranch, Old: bad, New: good},
		{Name: "v2", Kind: KindTag, Old: bad, New: good},
	}
	if res.NewCommits != 1 || !reflect.DeepEqual(res.Changed, want) {
		t.Fatalf("result %+v, want changes %+v", res, want)
	}
	files, err := x.Files(ctx, "ml/x", "v2")
	if err != nil || len(files) != 1 || files[0].OID != oid2 {
		t.Fatalf("files at v2 %+v, %v", files, err)
	}
	if _, err := x.Commit(ctx, "ml/x", bad); !errors.Is(err, ErrUnknownRef) {
		t.Errorf("rewritten commit still indexed: %v", err)
	}
	if occ, _, _ := x.Occurrences(ctx, oid, 10, ""); len(occ) != 0 {
		t.Errorf("the dropped model still occurs: %+v", occ)
	}
}

func TestRevertReusesListing(t *testing.T) {
	ctx := context.Background()
	g := newGitRepo(t)
	g.write(".gitattributes", lfsAttributes)
	p1, oid1 := model("v1")
	g.write("m.bin", p1)
	g.commit("v1")
	p2, _ := model("v2")
	g.write("m.bin", p2)
	g.commit("v2")
	x := newIndexer(t)
	connectAndSync(t, x, "ml/x", g)

	revert := g.do("revert", "--no-edit", "HEAD")
	reads := x.stats.blobsRead.Load()
	res := mustSync(t, x, "ml/x")
	if res.NewCommits != 1 {
		t.Fatalf("new commits %d", res.NewCommits)
	}
	if n := x.stats.reused.Load(); n != 1 {
		t.Errorf("listings reused: %d, want 1", n)
	}
	if n := x.stats.blobsRead.Load() - reads; n != 0 {
		t.Errorf("the revert read %d blobs, want 0", n)
	}
	files, err := x.Files(ctx, "ml/x", revert)
	if err != nil || len(files) != 1 || files[0].OID != oid1 {
		t.Fatalf("files at revert %+v, %v", files, err)
	}
}

func TestOccurrencesAndPathHistory(t *testing.T) {
	ctx := context.Background()
	g := newGitRepo(t)
	g.write(".gitattributes", lfsAttributes)
	p1, oid1 := model("v1")
	p2, oid2 := model("v2")
	g.write("m.bin", p1)
	c1 := g.commit("v1")
	g.git("tag", "v1.0.0")
	g.write("README", "docs\n")
	c2 := g.commit("docs only")
	g.write("m.bin", p2)
	c3 := g.commit("v2")
	g.git("tag", "v1.1.0")
	c4 := g.do("revert", "--no-edit", "HEAD")
	g.git("tag", "v1.1.1")
	g.remove("m.bin")
	c5 := g.commit("drop the model")
	x := newIndexer(t)
	connectAndSync(t, x, "ml/x", g)

	occ, next, err := x.Occurrences(ctx, "sha256:"+oid1, 0, "")
	if err != nil || next != "" {
		t.Fatal(err, next)
	}
	var got [][]string
	for _, o := range occ {
		row := []string{o.Repo, o.Path, o.Commit.SHA}
		for _, r := range o.Refs {
			row = append(row, r.Name)
		}
		got = append(got, row)
	}
	want := [][]string{{"ml/x", "m.bin", c4, "v1.1.1"}, {"ml/x", "m.bin", c2}, {"ml/x", "m.bin", c1, "v1.0.0"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("occurrences %v, want %v", got, want)
	}
	// One at a time, the pages add up to the same list.
	var paged []string
	for cur := ""; ; {
		page, next, err := x.Occurrences(ctx, oid1, 1, cur)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page {
			paged = append(paged, o.Commit.SHA)
		}
		if next == "" {
			break
		}
		cur = next
	}
	if !slices.Equal(paged, []string{c4, c2, c1}) {
		t.Errorf("paged %v", paged)
	}

	hist, _, err := x.PathHistory(ctx, "ml/x", "m.bin", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	type version struct {
		sha, oid string
		removed  bool
	}
	var gotH []version
	for _, v := range hist {
		gotH = append(gotH, version{v.Commit.SHA, v.OID, v.Removed})
	}
	wantH := []version{{c5, "", true}, {c4, oid1, false}, {c3, oid2, false}, {c1, oid1, false}}
	if !reflect.DeepEqual(gotH, wantH) {
		t.Fatalf("history %v, want %v", gotH, wantH)
	}
	page, next, err := x.PathHistory(ctx, "ml/x", "m.bin", 3, "")
	if err != nil || len(page) != 3 || next == "" {
		t.Fatalf("first page: %d, %q, %v", len(page), next, err)
	}
	page, next, err = x.PathHistory(ctx, "ml/x", "m.bin", 3, next)
	if err != nil || len(page) != 1 || page[0].Commit.SHA != c1 || next != "" {
		t.Fatalf("second page: %+v, %q, %v", page, next, err)
	}
	if _, _, err := x.PathHistory(ctx, "ml/x", "m.bin", 3, "bogus!"); !errors.Is(err, ErrInvalidCursor) {
		t.Errorf("bad cursor: %v", err)
	}
	if _, _, err := x.Occurrences(ctx, "abc", 3, ""); !errors.Is(err, ErrInvalidOID) {
		t.Errorf("bad oid: %v", err)
	}
}
