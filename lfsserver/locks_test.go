package lfsserver

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ballastml/ballast/internal/platform/db"
)

// lockAPI drives the locking endpoints of one repository.
type lockAPI struct {
	e    *env
	repo string
}

func (l lockAPI) url(suffix string) string { return l.e.lfsURL(l.repo) + "/locks" + suffix }

func (l lockAPI) create(tok, path string) *http.Response {
	return l.e.doJSON(http.MethodPost, l.url(""), tok, map[string]any{"path": path, "ref": map[string]string{"name": "refs/heads/main"}})
}

func (l lockAPI) mustCreate(tok, path string) lockJSON {
	l.e.t.Helper()
	var res lockResponse
	decodeAs(l.e.t, l.create(tok, path), http.StatusCreated, &res)
	return res.Lock
}

func (l lockAPI) list(tok string, q url.Values) (locks []lockJSON, next string) {
	l.e.t.Helper()
	var res struct {
		Locks      []lockJSON `json:"locks"`
		NextCursor string     `json:"next_cursor"`
	}
	decodeAs(l.e.t, l.e.do(http.MethodGet, l.url("?"+q.Encode()), tok, nil), http.StatusOK, &res)
	if res.Locks == nil {
		l.e.t.Fatal("locks must be [], not null")
	}
	return res.Locks, res.NextCursor
}

func (l lockAPI) unlock(tok, id string, force bool) *http.Response {
	return l.e.doJSON(http.MethodPost, l.url("/"+id+"/unlock"), tok, map[string]bool{"force": force})
}

func TestCreateAndListLocks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	l := lockAPI{e, testRepo}
	before := time.Now().Add(-time.Second)
	lk := l.mustCreate(tokWriter, "models/cat.safetensors")
	if lk.ID == "" || lk.Path != "models/cat.safetensors" || lk.Owner.Name != "alice" ||
		lk.LockedAt.Before(before) || lk.LockedAt.Location() != time.UTC {
		t.Fatalf("created lock %+v", lk)
	}

	// The second lock on the path is refused with the existing lock.
	var conflict errorBody
	decodeAs(t, l.create(tokBob, "models/cat.safetensors"), http.StatusConflict, &conflict)
	if conflict.Lock == nil || conflict.Lock.ID != lk.ID || conflict.Message == "" {
		t.Fatalf("conflict body %+v", conflict)
	}

	l.mustCreate(tokBob, "data/train.csv")
	all, next := l.list(tokReader, nil)
	if len(all) != 2 || next != "" || all[0].Path != "data/train.csv" || all[1].ID != lk.ID {
		t.Fatalf("list %+v next %q", all, next)
	}
	byPath, _ := l.list(tokReader, url.Values{"path": {"models/cat.safetensors"}, "refspec": {"refs/heads/main"}})
	byID, _ := l.list(tokReader, url.Values{"id": {lk.ID}})
	none, _ := l.list(tokReader, url.Values{"path": {"nope"}})
	if len(byPath) != 1 || byPath[0].ID != lk.ID || len(byID) != 1 || byID[0].Path != lk.Path || len(none) != 0 {
		t.Fatalf("filters: by path %+v, by id %+v, none %+v", byPath, byID, none)
	}
}

func TestLockValidationAndAuth(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	l := lockAPI{e, testRepo}
	wantError(t, l.create(tokWriter, ""), http.StatusUnprocessableEntity)
	wantError(t, l.create(tokWriter, "a\x00b"), http.StatusUnprocessableEntity)
	wantError(t, l.create(tokReader, "x"), http.StatusForbidden)
	wantError(t, l.create("", "x"), http.StatusUnauthorized)
	wantError(t, e.do(http.MethodGet, l.url(""), tokOther, nil), http.StatusForbidden)
	wantError(t, e.doJSON(http.MethodPost, l.url("/verify"), tokReader, map[string]any{}), http.StatusForbidden)
	wantError(t, e.do(http.MethodGet, l.url(""), tokReader, nil, "Accept", "text/plain"), http.StatusNotAcceptable)
	for _, q := range []string{"limit=0", "limit=-3", "limit=ten", "cursor=%21%21"} {
		wantError(t, e.do(http.MethodGet, l.url("?"+q), tokReader, nil), http.StatusUnprocessableEntity)
	}
}

func TestLockPagination(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	l := lockAPI{e, testRepo}
	for i := range 7 {
		l.mustCreate(tokWriter, fmt.Sprintf("f%d", i))
	}
	var seen []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 4 {
			t.Fatal("pagination does not end")
		}
		page, next := l.list(tokReader, url.Values{"limit": {"3"}, "cursor": {cursor}})
		if len(page) > 3 {
			t.Fatalf("page of %d locks with limit 3", len(page))
		}
		for _, lk := range page {
			seen = append(seen, lk.Path)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if fmt.Sprint(seen) != "[f0 f1 f2 f3 f4 f5 f6]" {
		t.Fatalf("pages visited %v", seen)
	}
	// A limit above the maximum is clamped, not refused.
	if all, _ := l.list(tokReader, url.Values{"limit": {"100000"}}); len(all) != 7 {
		t.Fatalf("clamped listing has %d locks", len(all))
	}
}

func TestVerifyLocks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	l := lockAPI{e, testRepo}
	mine := l.mustCreate(tokWriter, "a")
	theirs := l.mustCreate(tokBob, "b")
	lockAPI{e, "ml/elsewhere"}.mustCreate(tokBob, "c")

	var res verifyLocksResponse
	decodeAs(t, e.doJSON(http.MethodPost, l.url("/verify"), tokWriter, map[string]any{"ref": map[string]string{"name": "refs/heads/main"}}), http.StatusOK, &res)
	if len(res.Ours) != 1 || res.Ours[0].ID != mine.ID || len(res.Theirs) != 1 || res.Theirs[0].ID != theirs.ID || res.NextCursor != "" {
		t.Fatalf("verify %+v", res)
	}
	decodeAs(t, e.doJSON(http.MethodPost, l.url("/verify"), tokWriter, map[string]any{"limit": 1}), http.StatusOK, &res)
	if len(res.Ours) != 1 || len(res.Theirs) != 0 || res.NextCursor == "" {
		t.Fatalf("first page %+v", res)
	}
	next := res.NextCursor
	res = verifyLocksResponse{}
	decodeAs(t, e.doJSON(http.MethodPost, l.url("/verify"), tokWriter, map[string]any{"limit": 1, "cursor": next}), http.StatusOK, &res)
	if len(res.Ours) != 0 || len(res.Theirs) != 1 || res.NextCursor != "" {
		t.Fatalf("second page %+v", res)
	}
	// An empty repository verifies with empty arrays.
	var empty map[string]any
	decodeAs(t, e.doJSON(http.MethodPost, e.lfsURL("ml/empty")+"/locks/verify", tokWriter, map[string]any{}), http.StatusOK, &empty)
	if fmt.Sprint(empty["ours"], empty["theirs"]) != "[] []" {
		t.Fatalf("empty verify %v", empty)
	}
}

func TestUnlock(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	l := lockAPI{e, testRepo}
	alices := l.mustCreate(tokWriter, "model.bin")

	wantError(t, l.unlock(tokBob, alices.ID, false), http.StatusForbidden)    // not the owner
	wantError(t, l.unlock(tokBob, alices.ID, true), http.StatusForbidden)     // force needs admin
	wantError(t, l.unlock(tokReader, alices.ID, false), http.StatusForbidden) // read-only
	wantError(t, l.unlock(tokWriter, "no-such-lock", false), http.StatusNotFound)
	// Lock ids are per repository: the same id is unknown elsewhere.
	wantError(t, lockAPI{e, "ml/other"}.unlock(tokAdmin, alices.ID, true), http.StatusNotFound)

	var res lockResponse
	decodeAs(t, l.unlock(tokAdmin, alices.ID, true), http.StatusOK, &res)
	if res.Lock.ID != alices.ID || res.Lock.Owner.Name != "alice" {
		t.Fatalf("force-unlocked %+v", res.Lock)
	}
	if locks, _ := l.list(tokReader, nil); len(locks) != 0 {
		t.Fatalf("lock survived: %+v", locks)
	}

	// The owner unlocks without force, and the path can be locked again.
	again := l.mustCreate(tokWriter, "model.bin")
	decodeAs(t, l.unlock(tokWriter, again.ID, false), http.StatusOK, &res)
	wantError(t, l.unlock(tokWriter, again.ID, false), http.StatusNotFound)
	l.mustCreate(tokBob, "model.bin")
}

func TestSamePathLockableInEachRepository(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := lockAPI{e, "ml/a"}.mustCreate(tokWriter, "x")
	b := lockAPI{e, "ml/b"}.mustCreate(tokWriter, "x")
	if a.ID == b.ID {
		t.Fatal("two locks share an id")
	}
	if locks, _ := (lockAPI{e, "ml/b"}).list(tokReader, url.Values{"id": {a.ID}}); len(locks) != 0 {
		t.Fatalf("repository b lists a's lock: %+v", locks)
	}
}

// A lock cannot be created while the database is full: 507 with the Git
// LFS error body, and no server path in it; it can once there is room.
func TestCreateLockOnFullDatabase(t *testing.T) {
	var database *db.DB
	e := newEnv(t, func(c *Config) { database = c.DB })
	if database.Dialect != db.SQLite {
		t.Skip("fills the database with SQLite's max_page_count; db.IsNoSpace's test covers PostgreSQL's disk_full")
	}
	database.SetMaxOpenConns(1) // the page limit is per connection
	var pages int
	if err := database.QueryRow(`PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := database.Exec(fmt.Sprintf(`PRAGMA max_page_count = %d`, pages)); err != nil {
		t.Fatal(err)
	}
	l := lockAPI{e, testRepo}
	var resp *http.Response
	for i := 0; i < 500; i++ { // until the free room of the last pages is used
		if resp = l.create(tokWriter, fmt.Sprintf("models/%03d-%s.bin", i, strings.Repeat("x", 200))); resp.StatusCode != http.StatusCreated {
			break
		}
	}
	body := wantError(t, resp, http.StatusInsufficientStorage)
	if strings.Contains(body.Message, "/") {
		t.Fatalf("the message names a path: %q", body.Message)
	}
	if _, err := database.Exec(`PRAGMA max_page_count = 1000000`); err != nil {
		t.Fatal(err)
	}
	l.mustCreate(tokWriter, "models/after.bin")
}
