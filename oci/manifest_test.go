package oci

import (
	"bytes"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
)

func TestManifestPushPull(t *testing.T) {
	t.Parallel()
	e := newManifestEnv(t)
	body := e.pushImage("a")
	d := digest.FromBytes(body)
	r := e.put("v1", mtOCIManifest, body).want(t, http.StatusCreated)
	if r.Header.Get("Location") != manifestPath(d.String()) || r.Header.Get("Docker-Content-Digest") != d.String() {
		t.Fatalf("PUT headers %v", r.Header)
	}
	if r.Header.Get("OCI-Subject") != "" || r.Header.Get("OCI-Tag") != "" {
		t.Fatalf("unexpected headers %v", r.Header)
	}
	for _, ref := range []string{"v1", d.String()} {
		// Served byte-exact under its type, whatever the Accept header says.
		for _, accept := range []string{mtOCIManifest + ", " + mtOCIIndex, mtDockerManifest} {
			r := e.call(http.MethodGet, manifestPath(ref), nil, "Accept", accept).want(t, http.StatusOK)
			if !bytes.Equal(r.body, body) {
				t.Fatalf("GET %s: body %q", ref, r.body)
			}
			wantHeaders(t, r, mtOCIManifest, d, len(body))
		}
		r := e.call(http.MethodHead, manifestPath(ref), nil).want(t, http.StatusOK)
		if len(r.body) != 0 {
			t.Fatalf("HEAD %s: body %q", ref, r.body)
		}
		wantHeaders(t, r, mtOCIManifest, d, len(body))
	}
	// The manifest is a blob of its repository, and of no other.
	if !e.hasBlob(mrepo, d) {
		t.Fatal("manifest bytes are not a blob of the repository")
	}
	e.call(http.MethodGet, "/v2/ml/dog/manifests/"+d.String(), nil).wantError(t, http.StatusNotFound, CodeManifestUnknown)
}

func TestManifestAuth(t *testing.T) {
	t.Parallel()
	e := newManifestEnv(t)
	body := e.pushImage("a")
	e.put("v1", mtOCIManifest, body).want(t, http.StatusCreated)
	reader := e.token("bob", "ml/*:read")
	e.do(http.MethodGet, manifestPath("v1"), withBasic(reader)).want(t, http.StatusOK)
	e.do(http.MethodPut, manifestPath("v2"), withBasic(reader), withBody(body),
		withHeader("Content-Type", mtOCIManifest)).wantError(t, http.StatusForbidden, CodeDenied)
	e.do(http.MethodDelete, manifestPath("v1"), withBasic(reader)).wantError(t, http.StatusForbidden, CodeDenied)
	for _, path := range []string{manifestPath("v1"), "/v2/" + mrepo + "/tags/list", "/v2/" + mrepo + "/referrers/" + digest.FromBytes(body).String()} {
		e.do(http.MethodGet, path).wantError(t, http.StatusUnauthorized, CodeUnauthorized)
	}
}

func TestManifestUnknown(t *testing.T) {
	t.Parallel()
	e := newManifestEnv(t)
	e.putBlob(mrepo, []byte("the repository exists"))
	for _, ref := range []string{"nope", digest.FromString("nope").String()} {
		e.call(http.MethodGet, manifestPath(ref), nil).wantError(t, http.StatusNotFound, CodeManifestUnknown)
		e.call(http.MethodHead, manifestPath(ref), nil).want(t, http.StatusNotFound)
	}
	for _, ref := range []string{"sha256:baddigeststring", "md5:d41d8cd98f00b204e9800998ecf8427e"} {
		e.call(http.MethodGet, manifestPath(ref), nil).wantError(t, http.StatusBadRequest, CodeDigestInvalid)
	}
	e.call(http.MethodGet, manifestPath(strings.Repeat("t", 129)), nil).wantError(t, http.StatusBadRequest, CodeManifestInvalid)
}

func TestManifestPutRejects(t *testing.T) {
	t.Parallel()
	e := newManifestEnv(t)
	body := e.pushImage("a")
	d := digest.FromBytes(body)

	e.put(digest.FromString("other").String(), mtOCIManifest, body).wantError(t, http.StatusBadRequest, CodeDigestInvalid)
	e.put("sha256:baddigeststring", mtOCIManifest, body).wantError(t, http.StatusBadRequest, CodeDigestInvalid)
	e.put(d.String(), mtOCIIndex, body).wantError(t, http.StatusBadRequest, CodeManifestInvalid) // mediaType ≠ Content-Type
	e.put(strings.Repeat("t", 129), mtOCIManifest, body).wantError(t, http.StatusBadRequest, CodeManifestInvalid)
	e.put("-lead", mtOCIManifest, body).wantError(t, http.StatusBadRequest, CodeManifestInvalid)
	e.put("v1", "text/html", []byte(`{"x":1}`)).wantError(t, http.StatusBadRequest, CodeManifestInvalid)
	e.put("v1", mtOCIManifest, []byte(`{"schemaVersion":2,`)).wantError(t, http.StatusBadRequest, CodeManifestInvalid)
	e.put("v1", mtOCIManifest, nil).wantError(t, http.StatusBadRequest, CodeManifestInvalid)

	// Nothing refused was stored or tagged.
	e.call(http.MethodGet, manifestPath(d.String()), nil).wantError(t, http.StatusNotFound, CodeManifestUnknown)
	if e.hasBlob(mrepo, d) {
		t.Fatal("a refused manifest became a blob")
	}
	if tags := listAllTags(t, e, mrepo); len(tags) != 0 {
		t.Fatalf("refused pushes left tags %v", tags)
	}
	e.put(strings.Repeat("t", 128), mtOCIManifest, body).want(t, http.StatusCreated)
}

func TestManifestTooLarge(t *testing.T) {
	t.Parallel()
	e := newManifestEnv(t)
	cfg := e.blob(mrepo, []byte("{}"))
	pad := func(n int) []byte {
		return imageManifest(cfg, nil, map[string]any{"annotations": map[string]string{"pad": strings.Repeat("x", n)}})
	}
	big := pad(5 << 20)
	e.put("big", mtOCIManifest, big).wantError(t, http.StatusRequestEntityTooLarge, CodeSizeTooLarge)
	// Without a Content-Length the limit holds while reading.
	e.do(http.MethodPut, manifestPath("big"), withBasic(e.tok), withStream(bytes.NewReader(big)),
		withHeader("Content-Type", mtOCIManifest)).wantError(t, http.StatusRequestEntityTooLarge, CodeSizeTooLarge)
	e.call(http.MethodHead, manifestPath("big"), nil).want(t, http.StatusNotFound)

	limit := pad(0)
	limit = pad(maxManifestSize - len(limit))
	if len(limit) != maxManifestSize {
		t.Fatalf("fixture is %d bytes", len(limit))
	}
	e.put("limit", mtOCIManifest, limit).want(t, http.StatusCreated)
	r := e.call(http.MethodGet, manifestPath("limit"), nil).want(t, http.StatusOK)
	if !bytes.Equal(r.body, limit) {
		t.Fatal("4 MiB manifest came back different")
	}
}

func TestManifestBlobUnknown(t *testing.T) {
	t.Parallel()
	for _, sparse := range []bool{false, true} {
		var opts []envOption
		if sparse {
			opts = append(opts, withSparseManifests())
		}
		e := newManifestEnv(t, opts...)
		cfg := e.blob(mrepo, []byte("{}"))
		missing := descriptor{MediaType: "application/vnd.oci.image.layer.v1.tar", Digest: digest.FromString("missing"), Size: 7}
		elsewhere := e.blob("ml/other", []byte("in another repository"))
		noConfig := descriptor{MediaType: "a/b", Digest: digest.FromString("no config"), Size: 9}
		noChild := descriptor{MediaType: mtOCIManifest, Digest: digest.FromString("no child"), Size: 9}
		for i, c := range []struct {
			mt   string
			body []byte
		}{
			{mtOCIManifest, imageManifest(cfg, []descriptor{missing}, nil)},
			{mtOCIManifest, imageManifest(cfg, []descriptor{elsewhere}, nil)},
			{mtOCIManifest, imageManifest(noConfig, nil, nil)},
			{mtOCIIndex, imageIndexOf([]descriptor{noChild}, nil)},
		} {
			r := e.put("t", c.mt, c.body)
			if sparse {
				r.want(t, http.StatusCreated)
				continue
			}
			r.wantError(t, http.StatusBadRequest, CodeManifestBlobUnknown)
			if d, ok := errorDetail(t, r).(map[string]any); !ok || d["digest"] == "" {
				t.Fatalf("case %d: detail %v", i, errorDetail(t, r))
			}
		}
	}
}

func TestManifestAllowedMissing(t *testing.T) {
	t.Parallel()
	e := newManifestEnv(t)
	cfg := e.blob(mrepo, []byte("{}"))
	nd := []descriptor{
		{MediaType: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", Digest: digest.FromString("nd"), Size: 123456},
		{MediaType: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", Digest: digest.FromString("fl"), Size: 1},
	}
	e.put("nondistributable", mtOCIManifest, imageManifest(cfg, nd, nil)).want(t, http.StatusCreated)

	subj := descriptor{MediaType: mtOCIManifest, Digest: digest.FromString("not pushed"), Size: 10}
	r := e.put("orphan", mtOCIManifest, imageManifest(cfg, nil, map[string]any{"subject": subj})).want(t, http.StatusCreated)
	if r.Header.Get("OCI-Subject") != subj.Digest.String() {
		t.Fatalf("OCI-Subject %q", r.Header.Get("OCI-Subject"))
	}
}

func TestManifestSizeMismatch(t *testing.T) {
	t.Parallel()
	e := newManifestEnv(t)
	cfg := e.blob(mrepo, []byte("{}"))
	cfg.Size++
	e.put("t", mtOCIManifest, imageManifest(cfg, nil, nil)).wantError(t, http.StatusBadRequest, CodeManifestInvalid)
}

func TestManifestIndexAndDockerTypes(t *testing.T) {
	t.Parallel()
	e := newManifestEnv(t)
	child := e.pushImage("child")
	cd := digest.FromBytes(child)
	e.put(cd.String(), mtOCIManifest, child).want(t, http.StatusCreated)
	idx := imageIndexOf([]descriptor{{MediaType: mtOCIManifest, Digest: cd, Size: int64(len(child))}}, nil)
	e.put("multi", mtOCIIndex, idx).want(t, http.StatusCreated)
	r := e.call(http.MethodGet, manifestPath("multi"), nil).want(t, http.StatusOK)
	if !bytes.Equal(r.body, idx) {
		t.Fatalf("index body %s", r.body)
	}
	wantHeaders(t, r, mtOCIIndex, digest.FromBytes(idx), len(idx))

	docker := bytes.ReplaceAll(child, []byte(mtOCIManifest), []byte(mtDockerManifest))
	e.put("docker", mtDockerManifest, docker).want(t, http.StatusCreated)
	wantHeaders(t, e.call(http.MethodHead, manifestPath("docker"), nil), mtDockerManifest, digest.FromBytes(docker), len(docker))

	// Another JSON type is kept opaque; its bytes and type come back.
	opaque := []byte(`{"mediaType":"application/vnd.example.thing.v1+json","anything":[1,2]}`)
	e.put("opaque", "application/vnd.example.thing.v1+json", opaque).want(t, http.StatusCreated)
	r = e.call(http.MethodGet, manifestPath("opaque"), nil).want(t, http.StatusOK)
	if !bytes.Equal(r.body, opaque) || r.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("opaque: %v %s", r.Header, r.body)
	}
}

func TestManifestTagMove(t *testing.T) {
	t.Parallel()
	e := newManifestEnv(t)
	one, two := e.pushImage("1"), e.pushImage("2")
	e.put("latest", mtOCIManifest, one).want(t, http.StatusCreated)
	e.put("latest", mtOCIManifest, two).want(t, http.StatusCreated)
	r := e.call(http.MethodGet, manifestPath("latest"), nil).want(t, http.StatusOK)
	if !bytes.Equal(r.body, two) || r.Header.Get("Docker-Content-Digest") != digest.FromBytes(two).String() {
		t.Fatalf("latest did not move: %s", r.body)
	}
	// The first manifest is still there by digest.
	e.call(http.MethodHead, manifestPath(digest.FromBytes(one).String()), nil).want(t, http.StatusOK)
}

func TestManifestTagParams(t *testing.T) {
	t.Parallel()
	e := newManifestEnv(t)
	body := e.pushImage("a")
	d := digest.FromBytes(body)

	e.put(d.String()+"?tag=ok&tag=bad:tag", mtOCIManifest, body).wantError(t, http.StatusBadRequest, CodeManifestInvalid)
	e.put("v1?tag=v2", mtOCIManifest, body).wantError(t, http.StatusBadRequest, CodeManifestInvalid)
	if tags := listAllTags(t, e, mrepo); len(tags) != 0 {
		t.Fatalf("refused pushes left tags %v", tags)
	}

	r := e.put(d.String()+"?tag=v1&tag=latest&tag=v1", mtOCIManifest, body).want(t, http.StatusCreated)
	if got := r.Header.Values("OCI-Tag"); !slices.Equal(got, []string{"v1", "latest"}) {
		t.Fatalf("OCI-Tag %v", got)
	}
	if tags := listAllTags(t, e, mrepo); !slices.Equal(tags, []string{"latest", "v1"}) {
		t.Fatalf("tags %v", tags)
	}
}

func TestManifestSHA512(t *testing.T) {
	t.Parallel()
	e := newManifestEnv(t)
	body := e.pushImage("a")
	d := digest.SHA512.FromBytes(body)
	r := e.put(d.String()+"?tag=sha512", mtOCIManifest, body).want(t, http.StatusCreated)
	if r.Header.Get("Docker-Content-Digest") != d.String() || r.Header.Get("OCI-Tag") != "sha512" {
		t.Fatalf("headers %v", r.Header)
	}
	for _, ref := range []string{"sha512", d.String()} {
		r := e.call(http.MethodGet, manifestPath(ref), nil).want(t, http.StatusOK)
		if !bytes.Equal(r.body, body) {
			t.Fatalf("GET %s: %s", ref, r.body)
		}
		wantHeaders(t, r, mtOCIManifest, d, len(body))
	}
	e.put(digest.SHA512.FromString("other").String(), mtOCIManifest, body).wantError(t, http.StatusBadRequest, CodeDigestInvalid)
	e.call(http.MethodDelete, manifestPath(d.String()), nil).want(t, http.StatusAccepted)
	e.call(http.MethodGet, manifestPath("sha512"), nil).wantError(t, http.StatusNotFound, CodeManifestUnknown)
}

func TestManifestDelete(t *testing.T) {
	t.Parallel()
	e := newManifestEnv(t)
	body := e.pushImage("a")
	d := digest.FromBytes(body)
	e.put(d.String()+"?tag=v1&tag=v2", mtOCIManifest, body).want(t, http.StatusCreated)
	del := func(ref string) reply { return e.call(http.MethodDelete, manifestPath(ref), nil) }

	// Deleting a tag leaves the manifest and its other tags.
	del("v1").want(t, http.StatusAccepted)
	e.call(http.MethodHead, manifestPath("v1"), nil).want(t, http.StatusNotFound)
	e.call(http.MethodHead, manifestPath("v2"), nil).want(t, http.StatusOK)
	e.call(http.MethodHead, manifestPath(d.String()), nil).want(t, http.StatusOK)
	del("v1").wantError(t, http.StatusNotFound, CodeManifestUnknown)

	// Deleting the manifest takes its tags and unlinks its bytes.
	del(d.String()).want(t, http.StatusAccepted)
	for _, ref := range []string{d.String(), "v2"} {
		e.call(http.MethodGet, manifestPath(ref), nil).wantError(t, http.StatusNotFound, CodeManifestUnknown)
	}
	if e.hasBlob(mrepo, d) {
		t.Fatal("deleted manifest is still a blob of the repository")
	}
	del(d.String()).wantError(t, http.StatusNotFound, CodeManifestUnknown)
	del("sha256:baddigeststring").wantError(t, http.StatusBadRequest, CodeDigestInvalid)

	// Pushing it again brings it back.
	e.put("v3", mtOCIManifest, body).want(t, http.StatusCreated)
	e.call(http.MethodGet, manifestPath(d.String()), nil).want(t, http.StatusOK)
}

func TestManifestSurvivesRestart(t *testing.T) {
	t.Parallel()
	e := newManifestEnv(t)
	body := e.pushImage("a")
	e.put("v1", mtOCIManifest, body).want(t, http.StatusCreated)
	e.restart()
	r := e.call(http.MethodGet, manifestPath("v1"), nil).want(t, http.StatusOK)
	if !bytes.Equal(r.body, body) {
		t.Fatal("manifest changed across a restart")
	}
}
