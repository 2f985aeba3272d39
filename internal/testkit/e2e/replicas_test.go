package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ballastml/ballast/internal/testkit/dbtest"
	"github.com/ballastml/ballast/internal/testkit/miniotest"
	"github.com/ballastml/ballast/internal/testkit/pgtest"
)

// roundRobin is a load balancer sending each request to the next replica
// it still counts as up.
type roundRobin struct {
	mu       sync.Mutex
	backends []*url.URL
	next     atomic.Uint64
}

// drop takes a replica out, as a load balancer's health check would.
func (rr *roundRobin) drop(raw string) {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	rr.backends = slices.DeleteFunc(rr.backends, func(u *url.URL) bool { return "http://"+u.Host == raw })
}

func (rr *roundRobin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rr.mu.Lock()
	u := rr.backends[rr.next.Add(1)%uint64(len(rr.backends))]
	rr.mu.Unlock()
	p := &httputil.ReverseProxy{
		Rewrite:       func(pr *httputil.ProxyRequest) { pr.SetURL(u); pr.Out.Host = pr.In.Host },
		FlushInterval: -1,
	}
	p.ServeHTTP(w, r)
}

// sharedServices returns a MinIO with a bucket and a PostgreSQL database
// for replicas to share: the package's own when it runs on them, else new
// ones for this test.
func sharedServices(t *testing.T) (s3 *miniotest.Server, bucket, dbURL string) {
	t.Helper()
	s3, pg := s3Server, pgServer
	if s3 == nil {
		var err error
		if s3, err = miniotest.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s3.Close)
		if err := s3.MakeBucket(context.Background(), s3Bucket); err != nil {
			t.Fatal(err)
		}
	}
	if pg == nil {
		var err error
		if pg, err = pgtest.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pg.Close)
	}
	return s3, s3Bucket, dbtest.NewPostgres(t, pg.DSN("postgres"))
}

// startReplicas starts n ballast processes on one S3 prefix and one
// PostgreSQL database, with one admin token, behind a round-robin proxy
// whose URL is their public URL.
func startReplicas(t *testing.T, n int, extra ...string) (*roundRobin, *httptest.Server, []*server) {
	t.Helper()
	requireTools(t, "git", "git-lfs", "minio")
	s3, bucket, dbURL := sharedServices(t)
	rr := &roundRobin{}
	proxy := httptest.NewServer(rr)
	t.Cleanup(proxy.Close)
	admin := "blst_" + strings.ToLower(rand.Text()+rand.Text())
	store := "s3://" + bucket + "/" + strings.ToLower(rand.Text()[:10])
	var replicas []*server
	for range n {
		dir := t.TempDir()
		addr := freeAddr(t)
		s := &server{t: t, addr: addr, url: "http://" + addr, admin: admin,
			dataDir: filepath.Join(dir, "data"), logPath: filepath.Join(dir, "ballast.log"),
			args: []string{"--public-url", proxy.URL, "--db", dbURL, "--store", store,
				"--s3-endpoint", s3.URL(), "--s3-path-style", "--git-poll-interval", "1h"},
			env: s3.Env()}
		t.Cleanup(func() {
			s.stop()
			if t.Failed() {
				b, _ := os.ReadFile(s.logPath)
				t.Logf("log of replica %s:\n%s", s.addr, b)
			}
		})
		s.args = append(s.args, extra...)
		s.start()
		u, _ := url.Parse(s.url)
		rr.backends = append(rr.backends, u)
		replicas = append(replicas, s)
	}
	return rr, proxy, replicas
}

// TestTwoReplicas: two ballast processes on the same S3 prefix and
// PostgreSQL database, behind a round-robin proxy, are one registry: the
// registry tokens one issues the other accepts (oras's token flow through
// the proxy), an OCI chunked upload continues on the other replica, and
// git lfs push and clone work through the proxy.
func TestTwoReplicas(t *testing.T) {
	requireTools(t, "oras")
	_, proxy, rs := startReplicas(t, 2)
	a, b := rs[0], rs[1]
	const repo = "ml/replicated"
	writer := a.createToken(t, "wendy", "ml/*:write") // made on a, used everywhere

	// oras through the proxy: its token requests and its registry
	// requests alternate between the replicas.
	host := strings.TrimPrefix(proxy.URL, "http://")
	e := newOCIEnv(t)
	src := t.TempDir()
	model := writeRandom(t, filepath.Join(src, "model.onnx"), 9<<20+3)
	e.run(src, "oras", "login", "--plain-http", "-u", "wendy", "-p", writer, host)
	for i := range 3 {
		e.run(src, "oras", "push", "--plain-http", host+"/"+repo+":v"+strconv.Itoa(i+1), "model.onnx")
	}
	dst := t.TempDir()
	e.run(dst, "oras", "pull", "--plain-http", "-o", dst, host+"/"+repo+":v3")
	if got := sha256File(t, filepath.Join(dst, "model.onnx")); got != model {
		t.Errorf("oras pull through the proxy: sha256 %s, want %s", got, model)
	}

	// A chunked upload begun on a, continued on b, finished on a, read
	// from b.
	part1, part2 := []byte(strings.Repeat("a", 5<<20)), []byte(strings.Repeat("b", 1<<20+7))
	whole := append(append([]byte{}, part1...), part2...)
	loc := pathOf(t, a.location(t, a.ociDo(t, writer, http.MethodPost, "/v2/"+repo+"/blobs/uploads/", nil, nil)))
	r := b.ociDo(t, writer, http.MethodPatch, loc, map[string]string{"Content-Type": "application/octet-stream",
		"Content-Range": "0-" + strconv.Itoa(len(part1)-1)}, part1)
	if r.status != http.StatusAccepted {
		t.Fatalf("PATCH on the other replica: %d %.300q", r.status, r.body)
	}
	loc = pathOf(t, b.location(t, r))
	d := digestOf(whole)
	r = a.ociDo(t, writer, http.MethodPut, withQuery(t, loc, "digest", d), map[string]string{"Content-Type": "application/octet-stream"}, part2)
	if r.status != http.StatusCreated {
		t.Fatalf("PUT on the first replica: %d %.300q", r.status, r.body)
	}
	r = b.ociDo(t, writer, http.MethodGet, "/v2/"+repo+"/blobs/"+d, nil, nil)
	if r.status != http.StatusOK || digestOf(r.body) != d {
		t.Fatalf("GET from the other replica: %d, %d bytes hashing to %s, want %s", r.status, len(r.body), digestOf(r.body), d)
	}

	// git lfs push and clone through the proxy.
	g := newGit(t)
	origin := g.origin()
	lfsURL := strings.Replace(a.lfsURL("wendy", writer, repo), a.url, proxy.URL, 1)
	work := g.initRepo(origin, lfsURL)
	oid, size := commitModel(t, g, work)
	g.run(work, "push", "-q", "origin", "main")
	for _, s := range rs {
		if got, n := s.downloadSHA256(t, writer, repo, oid, size); got != oid || n != size {
			t.Errorf("replica %s serves the pushed object as %d bytes hashing to %s", s.addr, n, got)
		}
	}
}

func pathOf(t *testing.T, loc string) string {
	t.Helper()
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	return u.RequestURI()
}

// TestReplicaKilledMidPush: kill -9 of a replica in the middle of a push.
// Nothing of the push is visible; the client's retry through the proxy,
// which now sends everything to the other replica, succeeds; and the other
// replica takes over the background jobs the dead one held.
func TestReplicaKilledMidPush(t *testing.T) {
	const lease = 3 * time.Second
	rr, proxy, rs := startReplicas(t, 2, "--job-lease", lease.String())
	a, b := rs[0], rs[1]
	const repo = "ml/killed"
	writer := a.createToken(t, "wendy", "ml/*:write")
	data, oid := randomObject(7, 24<<20)
	size := int64(len(data))

	// a push straight to a, cut by kill -9 after 6 MiB.
	o := a.batchOne(t, writer, repo, "upload", oid, size)
	up, ok := o.Actions["upload"]
	if !ok {
		t.Fatalf("no upload action: %+v", o)
	}
	href := strings.Replace(up.Href, proxy.URL, a.url, 1)
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPut, href, pr)
	req.ContentLength = size
	req.SetBasicAuth("e2e", writer)
	req.Header.Set("Content-Type", "application/octet-stream")
	done := make(chan error, 1)
	go func() {
		resp, err := httpClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 300 {
				err = errors.New("the cut push succeeded")
			}
		}
		done <- err
	}()
	if _, err := pw.Write(data[:6<<20]); err != nil {
		t.Fatal(err)
	}
	held := leaseHolders(t, a)
	a.kill9()
	pw.CloseWithError(errors.New("the client gave up"))
	if err := <-done; err == nil {
		t.Fatal("the push to the killed replica reported success")
	}
	rr.drop(a.url)

	// The repository was never created (its first object never landed),
	// or the object is missing from it: either way, not visible.
	status, br := b.batch(t, writer, repo, "download", lfsObject{Oid: oid, Size: size})
	if status != http.StatusNotFound && (status != http.StatusOK || len(br.Objects) != 1 || br.Objects[0].Error == nil) {
		t.Fatalf("after the kill, the object is visible: %d %+v", status, br)
	}
	pb := *b
	pb.url = proxy.URL
	pb.upload(t, writer, repo, oid, size, bytes.NewReader(data))
	if got, n := pb.downloadSHA256(t, writer, repo, oid, size); got != oid || n != size {
		t.Fatalf("the retried push reads back as %d bytes hashing to %s", n, got)
	}

	// Every job lease a held passes to b within a lifetime and a turn.
	deadline := time.Now().Add(3 * lease)
	fromA := 0
	for name, pid := range held {
		if pid != a.cmd.Process.Pid {
			continue
		}
		fromA++
		for {
			now := leaseHolders(t, b)
			if now[name] == b.cmd.Process.Pid {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("lease %s still held by pid %d, not taken over by the live replica (pid %d): %v", name, now[name], b.cmd.Process.Pid, now)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	if fromA == 0 {
		t.Fatalf("the killed replica, started first, held no job lease: %v", held)
	}
}

// leaseHolders returns each job lease's holder pid, read from the
// database s uses.
func leaseHolders(t *testing.T, s *server) map[string]int {
	t.Helper()
	dbURL := ""
	for i, a := range s.args {
		if a == "--db" {
			dbURL = s.args[i+1]
		}
	}
	d, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	rows, err := d.Query(`SELECT name, holder FROM leases`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var name, holder string
		if err := rows.Scan(&name, &holder); err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(holder, "/")
		if len(parts) == 3 {
			out[name], _ = strconv.Atoi(parts[1])
		}
	}
	return out
}

// TestGCOnOneReplicaWhilePushingToAnother: replica b runs garbage
// collection with no grace in a loop while replica a receives 200 pushes,
// whose contents share chunks with blobs that are deleted meanwhile (so
// GC has chunks to take away from under the pushes' deduplication).
// Afterwards every object pushed and not deleted reads back from both
// replicas with its digest: 0 lost, 0 "blob unknown".
func TestGCOnOneReplicaWhilePushingToAnother(t *testing.T) {
	_, _, rs := startReplicas(t, 2, "--gc-grace", "0s")
	a, b := rs[0], rs[1]
	const repo = "ml/gc-race"
	writer := a.createToken(t, "wendy", "ml/*:write")

	ctx, stop := context.WithCancel(t.Context())
	var passes atomic.Int64
	gcDone := make(chan struct{})
	go func() {
		defer close(gcDone)
		for ctx.Err() == nil {
			resp, body := b.do(t, b.admin, http.MethodPost, b.url+"/api/v1/gc", map[string]string{"Content-Type": "application/json"},
				strings.NewReader(`{"grace":"0s"}`))
			if resp.StatusCode != http.StatusOK {
				t.Errorf("GC pass on b: %d %s", resp.StatusCode, body)
				return
			}
			passes.Add(1)
		}
	}()

	bases := make([][]byte, 8)
	for i := range bases {
		bases[i], _ = randomObject(uint64(100+i), 1<<20)
	}
	type pushed struct {
		oid  string
		size int64
	}
	var kept []pushed
	for i := range 200 {
		tail, _ := randomObject(uint64(1000+i), 64<<10)
		data := append(append([]byte{}, bases[i%len(bases)]...), tail...)
		oid := digestOf(data)[len("sha256:"):]
		a.upload(t, writer, repo, oid, int64(len(data)), bytes.NewReader(data))
		if i%5 == 4 {
			// Unlink this one: GC may now take its chunks, which the
			// next pushes of the same base want to share.
			r := a.ociDo(t, writer, http.MethodDelete, "/v2/"+repo+"/blobs/sha256:"+oid, nil, nil)
			if r.status != http.StatusAccepted {
				t.Fatalf("DELETE blob: %d %.200q", r.status, r.body)
			}
			continue
		}
		kept = append(kept, pushed{oid, int64(len(data))})
	}
	stop()
	<-gcDone
	if passes.Load() < 5 {
		t.Fatalf("only %d GC passes ran during the pushes", passes.Load())
	}
	t.Logf("%d GC passes on b during 200 pushes to a", passes.Load())
	for _, s := range rs {
		for _, p := range kept {
			if got, n := s.downloadSHA256(t, writer, repo, p.oid, p.size); got != p.oid || n != p.size {
				t.Fatalf("replica %s: pushed object %s reads as %d bytes hashing to %s", s.addr, p.oid, n, got)
			}
		}
	}
}
