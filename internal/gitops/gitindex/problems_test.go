package gitindex

import (
	"context"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
)

func TestProblemsAreReportedNotFatal(t *testing.T) {
	ctx := context.Background()
	g := newGitRepo(t)
	g.write(".gitattributes", lfsAttributes+"data/** filter=lfs diff=lfs merge=lfs -text\n")
	ok, okOID := model("fine")
	stray, strayOID := model("outside lfs patterns")
	g.write("models/ok.bin", ok)
	g.write("models/bad.bin", "this is not a pointer\n")
	g.write("models/crlf.bin", strings.ReplaceAll(ok, "\n", "\r\n"))
	g.write("models/real.bin", strings.Repeat("w", 4096))
	g.write("models/empty.bin", "")
	g.write("data/x/table.csv", "a,b\n")
	g.write("assets/big.tar", strings.Repeat("z", 3<<20/2))
	g.write("assets/small.txt", strings.Repeat("s", 4096))
	g.write("notes/stray.txt", stray)
	c1 := g.commit("mixed bag")
	g.write("README", "later\n")
	g.commit("unrelated")

	x := newIndexer(t)
	res := connectAndSync(t, x, "ml/x", g)
	if res.NewCommits != 2 {
		t.Fatalf("new commits %d", res.NewCommits)
	}
	type pk struct{ path, kind string }
	var got []pk
	for _, p := range res.Problems {
		if p.Commit != c1 || p.Detail == "" {
			t.Errorf("problem %+v: want commit %s and a detail", p, c1)
		}
		got = append(got, pk{p.Path, p.Kind})
	}
	sort.Slice(got, func(i, j int) bool { return got[i].path < got[j].path })
	want := []pk{
		{"assets/big.tar", ProblemLargeNonLFS},
		{"data/x/table.csv", ProblemMalformedPointer},
		{"models/bad.bin", ProblemMalformedPointer},
		{"models/crlf.bin", ProblemMalformedPointer},
		{"models/real.bin", ProblemOversizedPointer},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("problems %v, want %v", got, want)
	}
	stored, err := x.Problems(ctx, "ml/x")
	if err != nil || len(stored) != len(want) {
		t.Fatalf("stored problems %+v, %v", stored, err)
	}
	files, err := x.Files(ctx, "ml/x", "main")
	if err != nil {
		t.Fatal(err)
	}
	wantFiles := []File{{"models/ok.bin", okOID, 4}, {"notes/stray.txt", strayOID, 20}}
	if !reflect.DeepEqual(files, wantFiles) {
		t.Errorf("files %+v, want %+v", files, wantFiles)
	}
}

func TestNestedGitattributes(t *testing.T) {
	ctx := context.Background()
	g := newGitRepo(t)
	g.write(".gitattributes", lfsAttributes)
	g.write("vendor/.gitattributes", "*.bin -filter\n")
	g.write("vendor/lib/blob.bin", "plain bytes, git does not filter them\n")
	g.write("models/.gitattributes", "*.onnx filter=lfs\nlegacy/*.onnx !filter\n")
	g.write("models/net.onnx", "not a pointer\n")
	g.write("models/legacy/old.onnx", "not a pointer either\n")
	g.write("models/a.bin", "root rule still applies\n")
	g.commit("nested")
	x := newIndexer(t)
	connectAndSync(t, x, "ml/x", g)
	probs, err := x.Problems(ctx, "ml/x")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range probs {
		got = append(got, p.Path)
	}
	sort.Strings(got)
	if want := []string{"models/a.bin", "models/net.onnx"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("problems at %v, want %v", got, want)
	}

	// Untracking in a later commit changes how an unchanged file is seen:
	// the commit is listed in full and reports nothing new.
	g.write("models/.gitattributes", "")
	g.write(".gitattributes", "")
	g.commit("untrack everything")
	if res := mustSync(t, x, "ml/x"); len(res.Problems) != 0 {
		t.Fatalf("problems after untracking: %+v", res.Problems)
	}
}

func TestMergeHistory(t *testing.T) {
	ctx := context.Background()
	g := newGitRepo(t)
	g.write(".gitattributes", lfsAttributes)
	p1, _ := model("v1")
	p2, oid2 := model("v2")
	po, _ := model("other")
	g.write("m.bin", p1)
	c1 := g.commit("v1")
	g.git("checkout", "-q", "-b", "feature")
	g.write("m.bin", p2)
	f1 := g.commit("v2 on a branch")
	g.git("checkout", "-q", "main")
	g.write("other.bin", po)
	g.commit("other on main")
	merge := g.do("merge", "-q", "--no-ff", "-m", "merge feature", "feature")

	x := newIndexer(t)
	if res := connectAndSync(t, x, "ml/x", g); res.NewCommits != 4 {
		t.Fatalf("new commits %d", res.NewCommits)
	}
	files, err := x.Files(ctx, "ml/x", merge)
	if err != nil || !reflect.DeepEqual(paths(files), []string{"m.bin", "other.bin"}) || files[0].OID != oid2 {
		t.Fatalf("files at merge %+v, %v", files, err)
	}
	hist, _, err := x.PathHistory(ctx, "ml/x", "m.bin", 10, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range hist {
		got = append(got, v.Commit.SHA)
	}
	if want := []string{f1, c1}; !slices.Equal(got, want) {
		t.Errorf("history of m.bin %v, want %v (the merge keeps the branch's version)", got, want)
	}
	occ, _, _ := x.Occurrences(ctx, oid2, 10, "")
	if len(occ) != 2 || occ[0].Commit.SHA != merge || occ[1].Commit.SHA != f1 {
		t.Errorf("occurrences of v2 %+v", occ)
	}
	if len(occ) == 2 && (len(occ[0].Refs) != 1 || occ[0].Refs[0].Name != "main" || occ[1].Refs[0].Name != "feature") {
		t.Errorf("refs %+v / %+v", occ[0].Refs, occ[1].Refs)
	}
}

func TestSymlinksSubmodulesAndTreeTagsAreSkipped(t *testing.T) {
	ctx := context.Background()
	g := newGitRepo(t)
	g.write(".gitattributes", lfsAttributes)
	p, oid := model("real")
	g.write("m.bin", p)
	c1 := g.commit("model")
	// A symlink whose target text is a pointer, and a submodule (gitlink).
	pointerBlob := g.gitIn(p, "hash-object", "-w", "--stdin")
	g.git("update-index", "--add", "--cacheinfo", "120000,"+pointerBlob+",link.bin")
	g.git("update-index", "--add", "--cacheinfo", "160000,"+c1+",vendor/sub")
	g.git("commit", "-q", "-m", "symlink and submodule")
	g.git("tag", "tree-tag", "HEAD^{tree}")
	x := newIndexer(t)
	res := connectAndSync(t, x, "ml/x", g)
	if res.NewCommits != 2 || len(res.Problems) != 0 {
		t.Fatalf("result %+v", res)
	}
	files, err := x.Files(ctx, "ml/x", "main")
	if err != nil || len(files) != 1 || files[0].Path != "m.bin" || files[0].OID != oid {
		t.Fatalf("files %+v, %v", files, err)
	}
	refs, _ := x.Refs(ctx, "ml/x")
	if len(refs) != 1 || refs[0].Name != "main" {
		t.Errorf("refs %+v: a tag of a tree names no commit", refs)
	}
}
