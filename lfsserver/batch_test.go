package lfsserver

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ballastml/ballast/internal/platform/auth"
	"github.com/ballastml/ballast/store"
)

func TestBatchUploadGivesUploadAndVerifyActions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	data := []byte("weights")
	oid := oidOf(data)
	br := e.batch(testRepo, tokWriter, batchBody("upload", pointer{oid, 7}))

	if br.Transfer != "basic" || br.HashAlgo != "sha256" || len(br.Objects) != 1 {
		t.Fatalf("response %+v", br)
	}
	obj := br.Objects[0]
	if obj.Oid != oid || obj.Size != 7 || !obj.Authenticated || obj.Error != nil {
		t.Fatalf("object %+v", obj)
	}
	base := e.lfsURL(testRepo) + "/objects/"
	up, verify := obj.Actions["upload"], obj.Actions["verify"]
	if up == nil || up.Href != base+oid || verify == nil || verify.Href != base+"verify" {
		t.Fatalf("actions %+v", obj.Actions)
	}
	if auth := up.Header["Authorization"]; !strings.HasPrefix(auth, "Basic ") {
		t.Fatalf("upload action carries Authorization %q", auth)
	}
	at, err := time.Parse(time.RFC3339, up.ExpiresAt)
	if up.ExpiresIn != 3600 || err != nil || time.Until(at) < 59*time.Minute {
		t.Fatalf("expiry %d / %q (%v)", up.ExpiresIn, up.ExpiresAt, err)
	}

	// The actions work: upload, verify, then download.
	req, _ := http.NewRequest(http.MethodPut, up.Href, bytes.NewReader(data))
	for k, v := range up.Header {
		req.Header.Set(k, v)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT via action: %v %v", resp, err)
	}
	resp.Body.Close()
	if !e.store.has(digestOf(oid)) {
		t.Fatal("uploaded object not stored")
	}
}

func TestBatchDownload(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	data := []byte("model bytes")
	oid := e.store.add(testRepo, data)
	missing := oidOf([]byte("missing"))

	br := e.batch(testRepo, tokReader, batchBody("download", pointer{oid, 11}, pointer{missing, 3}))
	got, miss := br.Objects[0], br.Objects[1]
	dl := got.Actions["download"]
	if dl == nil || dl.Href != e.lfsURL(testRepo)+"/objects/"+oid || !got.Authenticated || got.Error != nil {
		t.Fatalf("present object %+v", got)
	}
	if miss.Actions != nil || miss.Error == nil || miss.Error.Code != http.StatusNotFound {
		t.Fatalf("missing object %+v", miss)
	}

	resp := e.do(http.MethodGet, dl.Href, tokReader, nil)
	if body := readAll(t, resp); resp.StatusCode != http.StatusOK || body != string(data) {
		t.Fatalf("download: %d %q", resp.StatusCode, body)
	}
}

func TestBatchUploadOfPresentObjectHasNoActions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	oid := e.store.add(testRepo, []byte("already here"))
	br := e.batch(testRepo, tokWriter, batchBody("upload", pointer{oid, 12}))
	if obj := br.Objects[0]; obj.Actions != nil || obj.Error != nil {
		t.Fatalf("present object %+v, want neither actions nor error", obj)
	}
}

func TestBatchUploadOfObjectInAnotherRepoNeedsBytes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	oid := e.store.add("ml/other", []byte("shared"))
	br := e.batch(testRepo, tokWriter, batchBody("upload", pointer{oid, 6}))
	if br.Objects[0].Actions["upload"] == nil {
		t.Fatalf("object linked only elsewhere must be uploaded: %+v", br.Objects[0])
	}
	// And it cannot be downloaded through this repository.
	br = e.batch("ml/other", tokWriter, batchBody("download", pointer{oid, 6}))
	if br.Objects[0].Actions["download"] == nil {
		t.Fatal("control: object downloadable from its own repository")
	}
	e.store.add(testRepo, []byte("something")) // make testRepo exist
	br = e.batch(testRepo, tokWriter, batchBody("download", pointer{oid, 6}))
	if br.Objects[0].Error == nil || br.Objects[0].Error.Code != http.StatusNotFound {
		t.Fatalf("object of another repository downloadable: %+v", br.Objects[0])
	}
}

func TestBatchPerObjectValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	valid := oidOf([]byte("x"))
	cases := map[string]pointer{
		"short":     {"a345cde", 1},
		"long":      {valid + "00", 1},
		"upper":     {strings.ToUpper(valid), 1},
		"non-hex":   {"g" + valid[1:], 1},
		"traversal": {"../../" + valid[6:], 1},
		"nul":       {valid[:63] + "\x00", 1},
		"empty":     {"", 1},
		"prefixed":  {"sha256:" + valid[7:], 1},
		"negative":  {valid, -1},
	}
	var ps []pointer
	for _, p := range cases {
		ps = append(ps, p)
	}
	zero := pointer{oidOf(nil), 0}
	ps = append(ps, zero)

	br := e.batch(testRepo, tokWriter, batchBody("upload", ps...))
	if len(br.Objects) != len(ps) {
		t.Fatalf("%d objects answered, want %d", len(br.Objects), len(ps))
	}
	for i, obj := range br.Objects[:len(ps)-1] {
		if obj.Oid != ps[i].Oid || obj.Actions != nil || obj.Error == nil || obj.Error.Code != http.StatusUnprocessableEntity {
			t.Errorf("invalid object %q size %d: %+v", ps[i].Oid, ps[i].Size, obj)
		}
	}
	if last := br.Objects[len(ps)-1]; last.Error != nil || last.Actions["upload"] == nil {
		t.Errorf("zero-size object must be uploadable: %+v", last)
	}
}

func TestBatchRequestErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.MaxBatchObjects = 3 })
	oid := oidOf([]byte("x"))
	p := pointer{oid, 1}
	url := e.lfsURL(testRepo) + "/objects/batch"
	cases := []struct {
		name   string
		body   any
		status int
	}{
		{"unknown operation", map[string]any{"operation": "delete", "objects": []pointer{p}}, 422},
		{"no basic transfer", map[string]any{"operation": "upload", "transfers": []string{"tus", "ssh"}, "objects": []pointer{p}}, 422},
		{"too many objects", batchBody("upload", p, p, p, p), 413},
		{"malformed json", json.RawMessage(`{"operation":"upload","objects":[{"oid":1}]}`), 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantError(t, e.doJSON(http.MethodPost, url, tokWriter, c.body), c.status)
		})
	}
	t.Run("body too large", func(t *testing.T) {
		big := `{"operation":"upload","objects":[],"pad":"` + strings.Repeat("x", maxBatchBody) + `"}`
		wantError(t, e.do(http.MethodPost, url, tokWriter, strings.NewReader(big)), 413)
	})
	t.Run("other transfers listed with basic", func(t *testing.T) {
		body := map[string]any{"operation": "upload", "transfers": []string{"tus", "basic"}, "objects": []pointer{p}}
		if br := e.batch(testRepo, tokWriter, body); br.Transfer != "basic" {
			t.Fatalf("transfer %q", br.Transfer)
		}
	})
}

func TestBatchHashAlgo(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := pointer{oidOf([]byte("x")), 1}
	body := batchBody("upload", p)
	body["hash_algo"] = "sha512"
	obj := e.batch(testRepo, tokWriter, body).Objects[0]
	if obj.Error == nil || obj.Error.Code != http.StatusConflict || obj.Actions != nil {
		t.Fatalf("sha512 object %+v, want error 409", obj)
	}
	body["hash_algo"] = "sha256"
	if obj := e.batch(testRepo, tokWriter, body).Objects[0]; obj.Actions["upload"] == nil {
		t.Fatalf("explicit sha256 refused: %+v", obj)
	}
}

func TestBatchAccept(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	url := e.lfsURL(testRepo) + "/objects/batch"
	body := batchBody("upload", pointer{oidOf([]byte("x")), 1})
	wantError(t, e.doJSON(http.MethodPost, url, tokWriter, body, "Accept", "text/html"), http.StatusNotAcceptable)
	for _, accept := range []string{"application/vnd.git-lfs+json; charset=utf-8", "*/*", "text/html, application/json;q=0.9"} {
		if resp := e.doJSON(http.MethodPost, url, tokWriter, body, "Accept", accept); resp.StatusCode != http.StatusOK {
			t.Errorf("Accept %q: status %d", accept, resp.StatusCode)
		}
	}
}

func TestBatchAuth(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.store.add(testRepo, []byte("x"))
	up := batchBody("upload", pointer{oidOf([]byte("y")), 1})
	down := batchBody("download", pointer{oidOf([]byte("x")), 1})
	url := func(repo string) string { return e.lfsURL(repo) + "/objects/batch" }

	for _, tok := range []string{"", "not-a-token"} {
		resp := e.doJSON(http.MethodPost, url(testRepo), tok, down)
		wantError(t, resp, http.StatusUnauthorized)
		if got := resp.Header.Get("LFS-Authenticate"); got != `Basic realm="Git LFS"` {
			t.Errorf("token %q: LFS-Authenticate %q", tok, got)
		}
		if resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("token %q: no WWW-Authenticate", tok)
		}
	}
	// Read-only token uploading; token for other/* reading ml/cat, and the
	// same token on a repository that does not exist: always 403.
	wantError(t, e.doJSON(http.MethodPost, url(testRepo), tokReader, up), http.StatusForbidden)
	wantError(t, e.doJSON(http.MethodPost, url(testRepo), tokOther, down), http.StatusForbidden)
	wantError(t, e.doJSON(http.MethodPost, url("ml/nope"), tokOther, down), http.StatusForbidden)
	// With read access a missing repository is a 404.
	wantError(t, e.doJSON(http.MethodPost, url("ml/nope"), tokReader, down), http.StatusNotFound)
	// Upload to a new repository is fine: the store creates it.
	if obj := e.batch("ml/new", tokWriter, up).Objects[0]; obj.Actions["upload"] == nil {
		t.Fatalf("upload to new repository: %+v", obj)
	}
	// Bearer tokens work too.
	resp := e.doJSON(http.MethodPost, url(testRepo), "", down, "Authorization", "Bearer "+tokReader)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("bearer: status %d", resp.StatusCode)
	}
}

func TestBatchAnonymousWithoutReadIsAskedForCredentials(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.auth.anonymous = &auth.Identity{User: "anonymous", Anonymous: true, Scopes: []auth.Scope{{Pattern: "public/*", Level: auth.Read}}}
	e.store.add("public/m", []byte("x"))
	down := batchBody("download", pointer{oidOf([]byte("x")), 1})
	if obj := e.batch("public/m", "", down).Objects[0]; obj.Actions["download"] == nil {
		t.Fatalf("anonymous read of public repository: %+v", obj)
	}
	resp := e.doJSON(http.MethodPost, e.lfsURL(testRepo)+"/objects/batch", "", down)
	wantError(t, resp, http.StatusUnauthorized)
}

func TestBatchInsufficientStorage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.store.space = 10
	present := e.store.add(testRepo, bytes.Repeat([]byte("p"), 100))
	// 100 bytes already present do not count; 6 + 6 new ones fit, not 11.
	fits := batchBody("upload", pointer{present, 100}, pointer{oidOf([]byte("a")), 6})
	if resp := e.doJSON(http.MethodPost, e.lfsURL(testRepo)+"/objects/batch", tokWriter, fits); resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d for an upload that fits", resp.StatusCode)
	}
	// An object that does not fit gets its own 507; the others proceed.
	tooBig := batchBody("upload", pointer{oidOf([]byte("a")), 6}, pointer{oidOf([]byte("b")), 5},
		pointer{oidOf([]byte("c")), 9223372036854775807}, pointer{oidOf([]byte("d")), 4})
	objs := e.batch(testRepo, tokWriter, tooBig).Objects
	for i, want := range []int{0, http.StatusInsufficientStorage, http.StatusInsufficientStorage, 0} {
		o := objs[i]
		switch {
		case want == 0 && (o.Error != nil || o.Actions["upload"] == nil):
			t.Errorf("object %d: %+v, want an upload action", i, o)
		case want != 0 && (o.Error == nil || o.Error.Code != want || o.Actions != nil):
			t.Errorf("object %d: %+v, want a per-object %d", i, o, want)
		}
	}
}

func TestBatchWithoutDotGit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resp := e.doJSON(http.MethodPost, e.srv.URL+"/"+testRepo+"/info/lfs/objects/batch", tokWriter,
		batchBody("upload", pointer{oidOf([]byte("x")), 1}))
	var br batchResponse
	decodeAs(t, resp, http.StatusOK, &br)
	if href := br.Objects[0].Actions["upload"].Href; !strings.HasPrefix(href, e.lfsURL(testRepo)+"/objects/") {
		t.Fatalf("href %q", href)
	}
}

func TestBatchPublicURL(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.PublicURL = "https://models.example.com/"; c.ActionExpiry = 5 * time.Minute })
	obj := e.batch(testRepo, tokWriter, batchBody("upload", pointer{oidOf([]byte("x")), 1})).Objects[0]
	up := obj.Actions["upload"]
	if up.Href != "https://models.example.com/ml/cat.git/info/lfs/objects/"+obj.Oid || up.ExpiresIn != 300 {
		t.Fatalf("upload action %+v", up)
	}
}

func TestStatusTable(t *testing.T) {
	t.Parallel()
	for err, want := range map[error]int{
		store.ErrNotFound:       404,
		store.ErrDigestMismatch: 422,
		store.ErrSizeMismatch:   422,
		store.ErrInvalidDigest:  422,
		store.ErrInvalidRange:   416,
		store.ErrNoSpace:        507,
		store.ErrRetry:          503,
		store.ErrCorrupt:        500,
		errMalformedRange:       416,
		&conflictError{}:        409,
	} {
		if got := statusOf(err); got != want {
			t.Errorf("statusOf(%v) = %d, want %d", err, got, want)
		}
	}
}

func FuzzBatchRequest(f *testing.F) {
	f.Add([]byte(`{"operation":"upload","objects":[{"oid":"` + oidOf(nil) + `","size":0}]}`))
	f.Add([]byte(`{"operation":"download","transfers":["basic"],"ref":{"name":"refs/heads/main"},"objects":[{"oid":"../x","size":-1}],"hash_algo":"sha256"}`))
	f.Add([]byte(`{"operation":"upload","objects":[null,{"oid":"\u0000"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		br, err := decodeBatch(bytes.NewReader(data), 1000)
		if err != nil {
			if statusOf(err) == http.StatusInternalServerError {
				t.Fatalf("decode error %v would be a 500", err)
			}
			return
		}
		for _, p := range br.Objects {
			d, err := p.check()
			if err != nil {
				continue
			}
			if p.Size < 0 || len(p.Oid) != 64 || strings.Trim(p.Oid, "0123456789abcdef") != "" || d.Validate() != nil {
				t.Fatalf("accepted invalid object %q size %d", p.Oid, p.Size)
			}
		}
	})
}

// A batch body of another media type is refused with 415; the Git LFS type,
// plain JSON and a missing Content-Type are read.
func TestBatchContentType(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body := `{"operation":"upload","objects":[{"oid":"` + oidOf([]byte("x")) + `","size":1}]}`
	url := e.lfsURL(testRepo) + "/objects/batch"
	for ct, want := range map[string]int{
		"application/vnd.git-lfs+json; charset=utf-8": http.StatusOK,
		"application/json":                            http.StatusOK,
		"":                                            http.StatusOK,
		"application/x-www-form-urlencoded":           http.StatusUnsupportedMediaType,
		"text/plain":                                  http.StatusUnsupportedMediaType,
		"not a media type":                            http.StatusUnsupportedMediaType,
	} {
		var headers []string
		if ct != "" {
			headers = []string{"Content-Type", ct}
		}
		resp := e.do(http.MethodPost, url, tokWriter, strings.NewReader(body), headers...)
		if want == http.StatusOK {
			var br batchResponse
			decodeAs(t, resp, want, &br)
			continue
		}
		wantError(t, resp, want)
	}
}
