package oci

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/ballastml/ballast/internal/platform/auth"
)

// challengeFor is the exact challenge the test server sends for scope.
func (e *testEnv) challengeFor(scope string) string {
	u, _ := url.Parse(e.srv.URL)
	v := `Bearer realm="` + e.srv.URL + `/auth/token",service="` + u.Host + `"`
	if scope != "" {
		v += `,scope="` + scope + `"`
	}
	return v
}

// wantChallenge checks a 401 UNAUTHORIZED with the token challenge for scope.
func (e *testEnv) wantChallenge(r reply, scope string) {
	e.t.Helper()
	r.wantError(e.t, http.StatusUnauthorized, CodeUnauthorized)
	if got, want := r.Header.Get("WWW-Authenticate"), e.challengeFor(scope); got != want {
		e.t.Fatalf("WWW-Authenticate %q, want %q", got, want)
	}
}

func TestBase(t *testing.T) {
	e := newEnv(t)
	tok := e.token("alice", "ml/*:read")

	e.wantChallenge(e.do("GET", "/v2/"), "")
	e.wantChallenge(e.do("GET", "/v2/", withBasic("blst_nope")), "")
	e.wantChallenge(e.do("HEAD", "/v2/"), "")
	for _, opt := range []reqOption{withBasic(tok), withBearer(tok)} {
		r := e.do("GET", "/v2/", opt).want(t, http.StatusOK)
		if string(r.body) != "{}\n" || r.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("body %q, Content-Type %q", r.body, r.Header.Get("Content-Type"))
		}
		if v := r.Header.Get("Docker-Distribution-API-Version"); v != "registry/2.0" {
			t.Fatalf("Docker-Distribution-API-Version %q", v)
		}
	}
	e.do("GET", "/v2", withBasic(tok)).want(t, http.StatusOK)

	anon := newEnv(t, withAnonymousRead())
	anon.do("GET", "/v2/").want(t, http.StatusOK)
	anon.wantChallenge(anon.do("GET", "/v2/", withBasic("blst_nope")), "")
}

func TestChallengeScopes(t *testing.T) {
	e := newEnv(t)
	d := digest.FromString("x")
	cases := []struct{ method, path, scope string }{
		{"GET", "/v2/ml/x/blobs/" + d.String(), "repository:ml/x:pull"},
		{"HEAD", "/v2/ml/x/blobs/" + d.String(), "repository:ml/x:pull"},
		{"DELETE", "/v2/ml/x/blobs/" + d.String(), "repository:ml/x:delete"},
		{"POST", "/v2/ml/x/blobs/uploads/", "repository:ml/x:pull,push"},
		{"PATCH", "/v2/ml/x/blobs/uploads/abc", "repository:ml/x:pull,push"},
		{"PUT", "/v2/ml/x/blobs/uploads/abc?digest=" + d.String(), "repository:ml/x:pull,push"},
		{"GET", "/v2/ml/x/blobs/uploads/abc", "repository:ml/x:pull"},
		{"DELETE", "/v2/ml/x/blobs/uploads/abc", "repository:ml/x:delete"},
	}
	for _, c := range cases {
		e.wantChallenge(e.do(c.method, c.path), c.scope)
	}
	// Auth comes before anything else, so the challenge is the same for
	// an invalid digest or an unknown upload.
	e.wantChallenge(e.do("GET", "/v2/ml/x/blobs/sha256:nope"), "repository:ml/x:pull")
}

func TestBasicOnEveryEndpoint(t *testing.T) {
	e := newEnv(t)
	tok := e.token("ci", "ml/*:write")
	data := []byte("model bytes")
	d := digest.FromBytes(data)
	loc := e.do("POST", "/v2/ml/x/blobs/uploads/", withBasic(tok)).want(t, http.StatusAccepted).Header.Get("Location")
	e.do("PATCH", loc, withBasic(tok), withBody(data)).want(t, http.StatusAccepted)
	e.do("GET", loc, withBasic(tok)).want(t, http.StatusNoContent)
	e.do("PUT", loc+"?digest="+d.String(), withBasic(tok)).want(t, http.StatusCreated)
	e.do("HEAD", "/v2/ml/x/blobs/"+d.String(), withBasic(tok)).want(t, http.StatusOK)
	e.do("GET", "/v2/ml/x/blobs/"+d.String(), withBearer(tok)).want(t, http.StatusOK)
	e.do("DELETE", "/v2/ml/x/blobs/"+d.String(), withBasic(tok)).want(t, http.StatusAccepted)
}

func TestForbidden(t *testing.T) {
	e := newEnv(t)
	reader := e.token("bob", "ml/*:read")
	onlyA := e.token("carol", "ml/a:write")
	d := e.putBlob("ml/b", []byte("b's model"))

	// A read-only token can pull but not push.
	e.do("POST", "/v2/ml/b/blobs/uploads/", withBasic(reader)).wantError(t, http.StatusForbidden, CodeDenied)
	e.do("DELETE", "/v2/ml/b/blobs/"+d.String(), withBasic(reader)).wantError(t, http.StatusForbidden, CodeDenied)
	e.do("GET", "/v2/ml/b/blobs/"+d.String(), withBasic(reader)).want(t, http.StatusOK)

	// A token for ml/a reaches nothing in ml/b.
	e.do("GET", "/v2/ml/b/blobs/"+d.String(), withBasic(onlyA)).wantError(t, http.StatusForbidden, CodeDenied)
	e.do("HEAD", "/v2/ml/b/blobs/"+d.String(), withBasic(onlyA)).want(t, http.StatusForbidden)
	e.do("POST", "/v2/ml/b/blobs/uploads/", withBasic(onlyA)).wantError(t, http.StatusForbidden, CodeDenied)
	e.do("POST", "/v2/ml/a/blobs/uploads/", withBasic(onlyA)).want(t, http.StatusAccepted)
}

func TestAnonymousRead(t *testing.T) {
	e := newEnv(t, withAnonymousRead())
	d := e.putBlob("ml/x", []byte("public model"))
	e.do("GET", "/v2/ml/x/blobs/"+d.String()).want(t, http.StatusOK)
	// Anonymous callers are asked to log in, not denied.
	e.wantChallenge(e.do("POST", "/v2/ml/x/blobs/uploads/"), "repository:ml/x:pull,push")
	e.wantChallenge(e.do("DELETE", "/v2/ml/x/blobs/"+d.String()), "repository:ml/x:delete")

	// Without anonymous read the same pull needs credentials.
	off := newEnv(t)
	d = off.putBlob("ml/x", []byte("private model"))
	off.wantChallenge(off.do("GET", "/v2/ml/x/blobs/"+d.String()), "repository:ml/x:pull")
}

func TestRegistryTokenScopes(t *testing.T) {
	e := newEnv(t)
	d := e.putBlob("ml/b", []byte("b"))
	refusedB := e.registryToken("carol", auth.Scope{Pattern: "ml/a", Level: auth.Write}, auth.Scope{Pattern: "ml/b", Level: auth.None})
	onlyA := e.registryToken("carol", auth.Scope{Pattern: "ml/a", Level: auth.Write})
	pullB := e.registryToken("carol", auth.Scope{Pattern: "ml/b", Level: auth.Read})

	// Not asked for ml/b: ask for a token that covers it.
	e.wantChallenge(e.do("GET", "/v2/ml/b/blobs/"+d.String(), withBearer(onlyA)), "repository:ml/b:pull")
	// Asked and refused: denied.
	e.do("GET", "/v2/ml/b/blobs/"+d.String(), withBearer(refusedB)).wantError(t, http.StatusForbidden, CodeDenied)
	// Granted pull only: pushing is denied.
	e.do("GET", "/v2/ml/b/blobs/"+d.String(), withBearer(pullB)).want(t, http.StatusOK)
	e.do("POST", "/v2/ml/b/blobs/uploads/", withBearer(pullB)).wantError(t, http.StatusForbidden, CodeDenied)
	e.do("POST", "/v2/ml/a/blobs/uploads/", withBearer(onlyA)).want(t, http.StatusAccepted)
}

func TestInvalidNames(t *testing.T) {
	e := newEnv(t)
	tok := e.token("root", "*:admin")
	d := digest.FromString("x").String()
	for _, p := range []string{
		"/v2/ml/../x/blobs/" + d,
		"/v2/ML/x/blobs/" + d,
		"/v2/ml//x/blobs/" + d,
		"/v2/ml/x//blobs/" + d,
		"/v2/-ml/x/blobs/uploads/",
		"/v2/ml/x./blobs/" + d,
	} {
		e.do("GET", p, withBasic(tok)).wantError(t, http.StatusBadRequest, CodeNameInvalid)
		e.do("POST", p, withBasic(tok)).want(t, http.StatusBadRequest)
	}
	e.do("GET", "/v2/ml/x/nothing", withBasic(tok)).wantError(t, http.StatusNotFound, CodeNameUnknown)
	r := e.do("PUT", "/v2/ml/x/blobs/"+d, withBasic(tok)).wantError(t, http.StatusMethodNotAllowed, CodeUnsupported)
	if got := r.Header.Values("Allow"); len(got) != 3 {
		t.Fatalf("Allow %q", got)
	}
}

// A registry whose public URL is one loopback name answers a client that
// used another with a realm under the name the client used; any other
// host keeps the public URL.
func TestRealmFollowsLoopbackAliases(t *testing.T) {
	pub, _ := url.Parse("http://127.0.0.1:8080")
	for host, want := range map[string]bool{
		"localhost:8080":  true,
		"127.0.0.2:8080":  true,
		"[::1]:8080":      true,
		"127.0.0.1:8080":  false, // the public URL itself
		"localhost:9090":  false, // another port
		"models.lan:8080": false,
		"10.0.0.5:8080":   false,
		"localhost":       false, // no port: not the public URL's
	} {
		if got := loopbackAlias(pub, host); got != want {
			t.Errorf("loopbackAlias(%s, %q) = %v, want %v", pub, host, got, want)
		}
	}
	if loopbackAlias(&url.URL{Scheme: "https", Host: "models.example.com:443"}, "localhost:443") {
		t.Error("a non-loopback public URL was aliased to localhost")
	}
}
