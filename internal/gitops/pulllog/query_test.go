package pulllog

import (
	"context"
	"errors"
	"testing"
	"time"
)

// seeded returns a closed Recorder (queries still work) holding the given events.
func seeded(t *testing.T, evs ...PullEvent) *Recorder {
	t.Helper()
	r := New(openDB(t), Options{})
	for _, ev := range evs {
		r.Record(ev)
	}
	r.Close() // flushes; queries still work
	return r
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func pull(min int, repo, digest, user string) PullEvent {
	return PullEvent{Time: t0.Add(time.Duration(min) * time.Minute), Repo: repo, Digest: digest,
		Kind: Blob, Protocol: OCI, User: user, TokenID: "tok-" + user}
}

func TestListFiltersAndPages(t *testing.T) {
	r := seeded(t,
		pull(0, "ml/a", "sha256:aa", "alice"),
		pull(1, "ml/a", "sha256:bb", "bob"),
		pull(2, "ml/b", "sha256:aa", "alice"),
		pull(3, "ml/a", "sha256:aa", "ci"),
		pull(3, "ml/a", "sha256:cc", "ci"), // same instant: the id breaks the tie
		pull(4, "data_x/y", "sha256:aa", "ci"),
	)
	ctx := context.Background()
	var all []PullEvent
	cursor := ""
	for page := 0; ; page++ {
		evs, next, err := r.List(ctx, Filter{}, 2, cursor)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, evs...)
		if next == "" {
			break
		}
		if page > 5 {
			t.Fatal("pagination does not end")
		}
		cursor = next
	}
	if len(all) != 6 || all[0].Repo != "data_x/y" || all[5].User != "alice" || all[5].Repo != "ml/a" {
		t.Fatalf("paged listing = %+v", all)
	}
	for i := 1; i < len(all); i++ {
		if all[i].Time.After(all[i-1].Time) {
			t.Fatalf("not newest first: %v after %v", all[i].Time, all[i-1].Time)
		}
	}
	if all[0].TokenID != "tok-ci" || all[0].Protocol != OCI || all[0].Kind != Blob || !all[0].Time.Equal(t0.Add(4*time.Minute)) {
		t.Fatalf("round trip lost fields: %+v", all[0])
	}

	tests := []struct {
		name string
		f    Filter
		want int
	}{
		{"repo", Filter{Repo: "ml/a"}, 4},
		{"digest", Filter{Digest: "sha256:aa"}, 4},
		{"user", Filter{User: "ci"}, 3},
		{"since", Filter{Since: t0.Add(3 * time.Minute)}, 3},
		{"until", Filter{Until: t0.Add(3 * time.Minute)}, 3},
		{"patterns", Filter{Repos: []string{"ml/*"}}, 5},
		{"exact pattern", Filter{Repos: []string{"ml/b"}}, 1},
		{"underscore is literal", Filter{Repos: []string{"data_x/*"}}, 1},
		{"underscore is not a wildcard", Filter{Repos: []string{"dataxx/*", "ml_a"}}, 0},
		{"combined", Filter{Repo: "ml/a", Digest: "sha256:aa", User: "ci"}, 1},
	}
	for _, tt := range tests {
		evs, next, err := r.List(ctx, tt.f, 100, "")
		if err != nil || next != "" || len(evs) != tt.want {
			t.Errorf("%s: %d events, next %q, %v; want %d", tt.name, len(evs), next, err, tt.want)
		}
	}
	if _, _, err := r.List(ctx, Filter{}, 10, "garbage!"); !errors.Is(err, ErrBadCursor) {
		t.Fatalf("bad cursor: %v", err)
	}
}

func TestLive(t *testing.T) {
	manifest := func(min int, digest, ref, user string) PullEvent {
		ev := pull(min, "ml/a", digest, user)
		ev.Kind, ev.Reference = Manifest, ref
		return ev
	}
	r := seeded(t,
		manifest(0, "sha256:m1", "v1.0.0", "alice"),
		manifest(10, "sha256:m2", "v1.1.0", "alice"),
		manifest(20, "sha256:m2", "sha256:m2", "bob"),
		manifest(30, "sha256:m1", "v1.0.0", "carol"),
		manifest(40, "sha256:m2", "v1.1.0", "bob"),
		pull(41, "ml/a", "sha256:b2", "bob"),
		pull(50, "ml/b", "sha256:m2", "alice"),
	)
	ctx := context.Background()
	live, next, err := r.Live(ctx, "ml/a", t0.Add(5*time.Minute), 100, "")
	if err != nil || next != "" {
		t.Fatal(err, next)
	}
	want := []LiveDigest{
		{Digest: "sha256:b2", Kind: Blob, Pulls: 1, Users: 1, LastPull: t0.Add(41 * time.Minute)},
		{Digest: "sha256:m2", Kind: Manifest, Pulls: 3, Users: 2, LastPull: t0.Add(40 * time.Minute), LastReference: "v1.1.0"},
		{Digest: "sha256:m1", Kind: Manifest, Pulls: 1, Users: 1, LastPull: t0.Add(30 * time.Minute), LastReference: "v1.0.0"},
	}
	if len(live) != len(want) {
		t.Fatalf("live = %+v", live)
	}
	for i := range want {
		if live[i] != want[i] {
			t.Errorf("live[%d] = %+v, want %+v", i, live[i], want[i])
		}
	}
	first, next, err := r.Live(ctx, "ml/a", time.Time{}, 2, "")
	if err != nil || len(first) != 2 || next == "" {
		t.Fatalf("page 1: %+v %q %v", first, next, err)
	}
	rest, next, err := r.Live(ctx, "ml/a", time.Time{}, 2, next)
	if err != nil || len(rest) != 1 || next != "" || rest[0].Digest != "sha256:m1" || rest[0].Pulls != 2 {
		t.Fatalf("page 2: %+v %q %v", rest, next, err)
	}
}
