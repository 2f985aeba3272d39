package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ballastml/ballast/internal/httpapi/adminapi"
)

func TestGCCommand(t *testing.T) {
	url, _, admin := tokenServer(t)
	conn := []string{"--server", url, "--token", admin}

	out, err := run(t, append([]string{"gc"}, conn...)...)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"grace 1h0m0s", "deleted 2 blobs, 40 chunks, 1 packs", "freed 3.0 MiB", "5.0 MiB of unreferenced chunks remain",
		"7.0 MiB of staged uploads wait for the background compactor", "Repacked 2 mostly unused packs (copied 1.0 MiB"} {
		if !strings.Contains(out, want) {
			t.Errorf("gc printed %q, want %q in it", out, want)
		}
	}
	out, err = run(t, append([]string{"gc", "--compact"}, conn...)...)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Compacted 1 staged uploads (7.0 MiB)") || strings.Contains(out, "wait for the background") {
		t.Errorf("gc --compact printed %q", out)
	}
	out, err = run(t, append([]string{"gc", "--grace", "0s", "--json"}, conn...)...)
	if err != nil {
		t.Fatal(err)
	}
	var res adminapi.GCResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Grace != "0s" {
		t.Fatalf("gc --grace 0s --json printed %q (%v), want grace 0s", out, err)
	}
	if _, err := run(t, append([]string{"gc", "--grace", "-5m"}, conn...)...); err == nil || !strings.Contains(err.Error(), "negative") {
		t.Fatalf("gc --grace -5m: %v, want a refusal", err)
	}
	if _, err := run(t, "gc", "--server", url, "--token", "blst_wrong"); err == nil {
		t.Fatal("gc with a bad token succeeded")
	}
}
