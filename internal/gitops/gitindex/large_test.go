package gitindex

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// fastImport builds a bare repository of n commits with git fast-import.
// The first commit adds .gitattributes, a README and three pointer files;
// each later commit changes one pointer file. Every 1000th commit is tagged.
func fastImport(t *testing.T, n int) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	var stream bytes.Buffer
	file := func(path, content string) {
		fmt.Fprintf(&stream, "M 100644 inline %s\ndata %d\n%s\n", path, len(content), content)
	}
	for i := 1; i <= n; i++ {
		msg := fmt.Sprintf("commit %d", i)
		fmt.Fprintf(&stream, "commit refs/heads/main\nmark :%d\n", i)
		fmt.Fprintf(&stream, "committer Ada <ada@example.com> %d +0000\n", 1704067200+60*i)
		fmt.Fprintf(&stream, "data %d\n%s\n", len(msg), msg)
		if i == 1 {
			file(".gitattributes", lfsAttributes)
			file("README.md", "a model\n")
			for j := range 3 {
				p, _ := model(fmt.Sprintf("initial %d", j))
				file(fmt.Sprintf("models/m%d.bin", j), p)
			}
		} else {
			fmt.Fprintf(&stream, "from :%d\n", i-1)
			p, _ := model(fmt.Sprintf("version %d", i))
			file(fmt.Sprintf("models/m%d.bin", i%3), p)
		}
		if i%1000 == 0 {
			fmt.Fprintf(&stream, "reset refs/tags/v%d\nfrom :%d\n\n", i/1000, i)
		}
	}
	for _, args := range [][]string{{"init", "-q", "--bare", dir}, {"-C", dir, "fast-import", "--quiet"}} {
		cmd := exec.Command("git", args...)
		cmd.Env = gitEnv(dir)
		if args[0] == "-C" {
			cmd.Stdin = &stream
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return dir
}

// heapPeak samples HeapInuse until stopped and returns the highest value.
func heapPeak() (stop func() uint64) {
	var (
		peak uint64
		wg   sync.WaitGroup
		done = make(chan struct{})
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak
	}
}

// peakRSS reads the process's resident-set high-water mark where Linux
// reports it.
func peakRSS() string {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return "n/a"
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "n/a"
}

func TestTenThousandCommits(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and indexes a 10,000-commit history")
	}
	const n = 10000
	ctx := context.Background()
	start := time.Now()
	dir := fastImport(t, n)
	t.Logf("fast-import of %d commits: %v", n, time.Since(start).Round(time.Millisecond))

	x := newIndexer(t)
	if err := x.Connect(ctx, "ml/big", Source{URL: dir}); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	stop := heapPeak()
	start = time.Now()
	res, err := x.Sync(ctx, "ml/big")
	elapsed := time.Since(start)
	peak := stop()
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	const mib = 1 << 20
	t.Logf("sync of %d commits: %v; heap in use before %.1f MiB, peak %.1f MiB, after %.1f MiB; "+
		"allocated %.0f MiB in total; process peak RSS %s",
		res.NewCommits, elapsed.Round(time.Millisecond), float64(before.HeapInuse)/mib, float64(peak)/mib,
		float64(after.HeapInuse)/mib, float64(after.TotalAlloc-before.TotalAlloc)/mib, peakRSS())
	if res.NewCommits != n || len(res.Changed) != 1+n/1000 || len(res.Problems) != 0 {
		t.Fatalf("result: %d commits, %d ref changes, %d problems", res.NewCommits, len(res.Changed), len(res.Problems))
	}
	if peak > 200*mib {
		t.Errorf("heap peak %.0f MiB, want under 200 MiB", float64(peak)/mib)
	}
	if blobs := x.stats.blobsRead.Load(); blobs > n+10 {
		t.Errorf("read %d blobs for %d commits that each change one small file", blobs, n)
	}

	files, err := x.Files(ctx, "ml/big", "v10")
	if err != nil || len(files) != 3 {
		t.Fatalf("files at v10: %+v, %v", files, err)
	}
	_, want := model(fmt.Sprintf("version %d", n))
	if files[n%3].OID != want {
		t.Errorf("files at v10 %+v, want %s for m%d", files, want, n%3)
	}
	hist, next, err := x.PathHistory(ctx, "ml/big", "models/m1.bin", 5000, "")
	if err != nil || len(hist) != maxLimit || next == "" {
		t.Fatalf("history page: %d versions, next %q, %v", len(hist), next, err)
	}

	start = time.Now()
	res = mustSync(t, x, "ml/big")
	if res.NewCommits != 0 || len(res.Changed) != 0 {
		t.Fatalf("idle sync: %+v", res)
	}
	t.Logf("idle sync: %v", time.Since(start).Round(time.Millisecond))
}
