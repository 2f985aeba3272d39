package adminapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/ballastml/ballast/internal/httpapi/adminapi"
	"github.com/ballastml/ballast/internal/platform/auth"
)

// gcStub records the parameters of each pass it is asked for.
type gcStub struct {
	calls  int
	graces []*time.Duration
	params []adminapi.GCParams
}

func (g *gcStub) run(_ context.Context, p adminapi.GCParams) (adminapi.GCResult, error) {
	g.calls++
	g.graces = append(g.graces, p.Grace)
	g.params = append(g.params, p)
	res := adminapi.GCResult{Grace: "1h0m0s", Blobs: 1, Chunks: 3, Packs: 1, FreedBytes: 100}
	if p.Grace != nil {
		res.Grace = p.Grace.String()
	}
	return res, nil
}

func TestGC(t *testing.T) {
	f := newFixture(t, false)
	resp, body := f.do(t, http.MethodPost, adminapi.GCPath, f.admin, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %s %s", adminapi.GCPath, resp.Status, body)
	}
	var res adminapi.GCResult
	if err := json.Unmarshal(body, &res); err != nil || res.Grace != "1h0m0s" || res.Blobs != 1 || res.FreedBytes != 100 {
		t.Fatalf("result %s (%v)", body, err)
	}
	resp, body = f.do(t, http.MethodPost, adminapi.GCPath, f.admin, `{"grace":"0s"}`)
	if resp.StatusCode != http.StatusOK || f.gc.calls != 2 || f.gc.graces[1] == nil || *f.gc.graces[1] != 0 {
		t.Fatalf("grace 0s: %s %s, calls %d", resp.Status, body, f.gc.calls)
	}
	if f.gc.graces[0] != nil {
		t.Fatalf("a request without a grace passed %v, want the server's (nil)", *f.gc.graces[0])
	}
	if f.gc.params[0].Compact || f.gc.params[1].Compact {
		t.Fatal("a request without compact asked for a compaction")
	}
	resp, body = f.do(t, http.MethodPost, adminapi.GCPath, f.admin, `{"compact":true}`)
	if resp.StatusCode != http.StatusOK || f.gc.calls != 3 || !f.gc.params[2].Compact || f.gc.params[2].Grace != nil {
		t.Fatalf("compact: %s %s, params %+v", resp.Status, body, f.gc.params)
	}
}

func TestGCRefusals(t *testing.T) {
	f := newFixture(t, true)
	scope, _ := auth.ParseScope("*:write")
	writer, _, err := f.tokens.Create(context.Background(), "ci", []auth.Scope{scope}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, method, secret, body string
		status                     int
	}{
		{"anonymous", http.MethodPost, "", "", http.StatusUnauthorized},
		{"not admin", http.MethodPost, writer, "", http.StatusForbidden},
		{"GET", http.MethodGet, f.admin, "", http.StatusMethodNotAllowed},
		{"negative grace", http.MethodPost, f.admin, `{"grace":"-1s"}`, http.StatusBadRequest},
		{"not a duration", http.MethodPost, f.admin, `{"grace":"soon"}`, http.StatusBadRequest},
		{"bare number", http.MethodPost, f.admin, `{"grace":60}`, http.StatusBadRequest},
		{"unknown field", http.MethodPost, f.admin, `{"grase":"0s"}`, http.StatusBadRequest},
		{"compact not a bool", http.MethodPost, f.admin, `{"compact":"yes"}`, http.StatusBadRequest},
	} {
		resp, body := f.do(t, c.method, adminapi.GCPath, c.secret, c.body)
		if resp.StatusCode != c.status {
			t.Errorf("%s: %s %s, want %d", c.name, resp.Status, body, c.status)
		}
	}
	if f.gc.calls != 0 {
		t.Fatalf("a refused request ran GC %d times", f.gc.calls)
	}
}
