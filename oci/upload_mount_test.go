package oci

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/ballastml/ballast/internal/platform/db"
	"github.com/ballastml/ballast/store"
)

// listingStore adds the optional repoLister to the store, for mounts
// without "from".
type listingStore struct {
	*store.Store
	db *db.DB
}

func (l listingStore) LinkedRepos(ctx context.Context, d digest.Digest, limit int) ([]string, error) {
	rows, err := l.db.QueryContext(ctx, `SELECT repo FROM links WHERE digest = ? ORDER BY repo LIMIT ?`, d.String(), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func newListingEnv(t *testing.T) *testEnv {
	return newEnv(t, withStoreWrapper(func(e *testEnv, st *store.Store) BlobStore {
		return listingStore{Store: st, db: e.db}
	}))
}

// mountPath is the POST of a mount of d into repo, from from ("" for none).
func mountPath(repo string, d digest.Digest, from string) string {
	q := url.Values{"mount": {d.String()}}
	if from != "" {
		q.Set("from", from)
	}
	return "/v2/" + repo + "/blobs/uploads/?" + q.Encode()
}

func TestMount(t *testing.T) {
	e := newEnv(t)
	tok := e.token("alice", "ml/*:write", "shared/*:read")
	d := e.putBlob("shared/base", []byte("base weights"))

	wantCreated(t, e.do("POST", mountPath("ml/x", d, "shared/base"), withBasic(tok)), "ml/x", d)
	e.wantBlob("ml/x", tok, d, []byte("base weights"))
	// Mounting what is already there is fine too.
	wantCreated(t, e.do("POST", mountPath("ml/x", d, "ml/x"), withBasic(tok)), "ml/x", d)
}

func TestMountFallsBack(t *testing.T) {
	e := newEnv(t)
	tok := e.token("alice", "ml/*:write")
	secret := e.putBlob("private/x", []byte("not yours"))
	missing := digest.FromString("nowhere")
	e.putBlob("ml/src", []byte("in ml/src"))

	for name, path := range map[string]string{
		"unreadable source":  mountPath("ml/x", secret, "private/x"),
		"missing blob":       mountPath("ml/x", missing, "ml/src"),
		"invalid digest":     "/v2/ml/x/blobs/uploads/?mount=sha256:zz&from=ml/src",
		"invalid from":       mountPath("ml/x", secret, "../private/x"),
		"no from, no lister": mountPath("ml/x", secret, ""),
	} {
		r := e.do("POST", path, withBasic(tok))
		if r.StatusCode != http.StatusAccepted || r.Header.Get("Location") == "" {
			t.Fatalf("%s: status %d, Location %q; want a 202 upload session", name, r.StatusCode, r.Header.Get("Location"))
		}
	}
	if e.hasBlob("ml/x", secret) {
		t.Fatal("a blob the caller cannot read was mounted")
	}
	// The fallback session works like any other.
	data := []byte("uploaded instead")
	d := digest.FromBytes(data)
	loc := e.do("POST", mountPath("ml/x", d, "ml/src"), withBasic(tok)).want(t, http.StatusAccepted).Header.Get("Location")
	wantCreated(t, e.do("PUT", loc+"?digest="+d.String(), withBasic(tok), withBody(data)), "ml/x", d)
}

func TestMountNeedsPushOnTarget(t *testing.T) {
	e := newEnv(t)
	reader := e.token("bob", "*:read")
	d := e.putBlob("ml/src", []byte("m"))
	e.do("POST", mountPath("ml/x", d, "ml/src"), withBasic(reader)).wantError(t, http.StatusForbidden, CodeDenied)
	if e.hasBlob("ml/x", d) {
		t.Fatal("mounted without push access")
	}
}

// A mount with a registry token that does not cover "from" asks for one
// that does; once the token server refused it, the mount falls back.
func TestMountWithRegistryToken(t *testing.T) {
	e := newEnv(t)
	alice := e.token("alice", "ml/*:write")
	bob := e.token("bob", "ml/x:write")
	d := e.putBlob("ml/src", []byte("m"))

	tok := e.getToken([]string{"repository:ml/x:pull,push"}, withBasic(alice)).Token
	e.wantChallenge(e.do("POST", mountPath("ml/x", d, "ml/src"), withBearer(tok)), "repository:ml/x:pull,push repository:ml/src:pull")
	tok = e.getToken([]string{"repository:ml/x:pull,push repository:ml/src:pull"}, withBasic(alice)).Token
	wantCreated(t, e.do("POST", mountPath("ml/x", d, "ml/src"), withBearer(tok)), "ml/x", d)

	// Bob may push to ml/x but not read ml/src.
	tok = e.getToken([]string{"repository:ml/x:pull,push repository:ml/src:pull"}, withBasic(bob)).Token
	e.do("POST", mountPath("ml/x", d, "ml/src"), withBearer(tok)).want(t, http.StatusAccepted)
}

// Without "from", a store that lists a blob's repositories lets the mount
// find one the caller can read (automatic content discovery), and only one
// the caller can read.
func TestMountDiscovery(t *testing.T) {
	e := newListingEnv(t)
	alice := e.token("alice", "ml/*:write")
	d := e.putBlob("ml/src", []byte("found"))
	hidden := e.putBlob("private/x", []byte("hidden"))

	wantCreated(t, e.do("POST", mountPath("ml/x", d, ""), withBasic(alice)), "ml/x", d)
	e.do("POST", mountPath("ml/x", hidden, ""), withBasic(alice)).want(t, http.StatusAccepted)
	if e.hasBlob("ml/x", hidden) {
		t.Fatal("discovery mounted a blob the caller cannot read")
	}

	// With a registry token: first asked for a token covering every
	// repository the caller may read, whether or not the blob exists.
	tok := e.getToken([]string{"repository:ml/y:pull,push"}, withBasic(alice)).Token
	for _, dd := range []digest.Digest{d, hidden, digest.FromString("nowhere")} {
		e.wantChallenge(e.do("POST", mountPath("ml/y", dd, ""), withBearer(tok)), "repository:ml/y:pull,push repository:*:pull")
	}
	tok = e.getToken([]string{"repository:ml/y:pull,push repository:*:pull"}, withBasic(alice)).Token
	wantCreated(t, e.do("POST", mountPath("ml/y", d, ""), withBearer(tok)), "ml/y", d)
	e.do("POST", mountPath("ml/y", hidden, ""), withBearer(tok)).want(t, http.StatusAccepted)
	if e.hasBlob("ml/y", hidden) {
		t.Fatal("discovery mounted a blob the caller cannot read")
	}
}
