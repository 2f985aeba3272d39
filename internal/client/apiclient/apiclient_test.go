package apiclient

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A server that is not there, and a token the server refuses, are told in
// words that say what to check.
func TestHumanErrors(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	l.Close() // nothing listens there now
	c, err := New(url, "blst_x")
	if err != nil {
		t.Fatal(err)
	}
	err = c.Do(context.Background(), http.MethodGet, "/api/v1/tokens", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "cannot reach ballast at "+url) || !strings.Contains(err.Error(), "ballast serve") {
		t.Errorf("no server: %v", err)
	}

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"error":{"code":"unauthorized","message":"invalid, revoked or expired token"}}`))
	}))
	defer srv.Close()
	c, _ = New(srv.URL, "blst_wrong")
	err = c.Do(context.Background(), http.MethodGet, "/api/v1/tokens", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "expired token") || !strings.Contains(err.Error(), "BALLAST_TOKEN") {
		t.Errorf("refused token: %v", err)
	}
	for _, bad := range []string{"", "ftp://x", "127.0.0.1:8080"} {
		if _, err := New(bad, "t"); err == nil {
			t.Errorf("New(%q) accepted", bad)
		}
	}
}
