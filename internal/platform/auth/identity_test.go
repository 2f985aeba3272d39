package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestScopeMatches(t *testing.T) {
	tests := []struct {
		pattern, repo string
		want          bool
	}{
		{"ml/*", "ml/x", true},
		{"ml/*", "ml/x/y", true},
		{"ml/*", "mlx", false},
		{"ml/*", "ml", false},
		{"ml/*", "team/ml/x", false},
		{"*", "ml/x", true},
		{"*", "a", true},
		{"ml/x", "ml/x", true},
		{"ml/x", "ml/xy", false},
		{"ml/x", "ml/x/y", false},
		{"ml/*/prod", "ml/a/prod", true},
		{"ml/*/prod", "ml/a/b/prod", true},
		{"ml/*/prod", "ml/a/dev", false},
		{"*-prod", "ml/cat-prod", true},
		{"*-prod", "ml/cat-prod2", false},
		{"a*b*c", "abc", true},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "acb", false},
	}
	for _, tt := range tests {
		s := Scope{Pattern: tt.pattern, Level: Read}
		if got := s.Matches(tt.repo); got != tt.want {
			t.Errorf("Scope %q Matches(%q) = %v, want %v", tt.pattern, tt.repo, got, tt.want)
		}
	}
}

// A pattern with many stars must not send the matcher into exponential
// backtracking: this input never finishes with a naive recursive matcher.
func TestScopeMatchesManyStars(t *testing.T) {
	pat := strings.Repeat("*a", 30) + "*b"
	repo := strings.Repeat("a", 255)
	if (Scope{Pattern: pat, Level: Read}).Matches(repo) {
		t.Fatal("matched a repository without a 'b'")
	}
	if !(Scope{Pattern: pat, Level: Read}).Matches(repo + "b") {
		t.Fatal("did not match a repository ending in 'b'")
	}
}

func TestParseScope(t *testing.T) {
	valid := map[string]Scope{
		"ml/*:write":       {Pattern: "ml/*", Level: Write},
		"*:admin":          {Pattern: "*", Level: Admin},
		"ml/cat_v1.2:read": {Pattern: "ml/cat_v1.2", Level: Read},
	}
	for in, want := range valid {
		got, err := ParseScope(in)
		if err != nil || got != want {
			t.Errorf("ParseScope(%q) = %v, %v; want %v", in, got, err, want)
		}
		if got.String() != in {
			t.Errorf("ParseScope(%q).String() = %q", in, got.String())
		}
	}
}

func TestParseScopeErrors(t *testing.T) {
	for _, in := range []string{
		"", "ml", ":read", "ml:", "ml:owner", "ml:none", "ml:READ",
		"ML/x:read", "ml x:read", "ml:read:write", "ml/é:read",
	} {
		if s, err := ParseScope(in); !errors.Is(err, ErrInvalidScope) {
			t.Errorf("ParseScope(%q) = %v, %v; want ErrInvalidScope", in, s, err)
		}
	}
}

func TestParseLevel(t *testing.T) {
	for _, l := range []Level{Read, Write, Admin} {
		got, err := ParseLevel(l.String())
		if err != nil || got != l {
			t.Errorf("ParseLevel(%q) = %v, %v", l.String(), got, err)
		}
	}
	if _, err := ParseLevel("none"); !errors.Is(err, ErrInvalidScope) {
		t.Errorf("ParseLevel(none) = %v, want ErrInvalidScope", err)
	}
}

func TestLevelForPicksHighest(t *testing.T) {
	id := &Identity{Scopes: []Scope{
		{Pattern: "ml/x", Level: Admin},
		{Pattern: "*", Level: Read},
		{Pattern: "ml/*", Level: Write},
	}}
	tests := map[string]Level{"ml/x": Admin, "ml/y": Write, "ml/y/z": Write, "other": Read}
	for repo, want := range tests {
		if got := id.LevelFor(repo); got != want {
			t.Errorf("LevelFor(%q) = %v, want %v", repo, got, want)
		}
	}
	if !id.Allows("ml/y", Write) || id.Allows("ml/y", Admin) || id.Allows("other", Write) {
		t.Error("Allows disagrees with LevelFor")
	}
}

func TestNilIdentityAllowsNothing(t *testing.T) {
	var id *Identity
	if id.LevelFor("ml/x") != None || id.Allows("ml/x", Read) || id.IsAdmin() {
		t.Error("nil identity grants access")
	}
}

func TestIsAdmin(t *testing.T) {
	tests := []struct {
		scopes []Scope
		want   bool
	}{
		{[]Scope{{Pattern: "*", Level: Admin}}, true},
		{[]Scope{{Pattern: "ml/*", Level: Read}, {Pattern: "*", Level: Admin}}, true},
		{[]Scope{{Pattern: "ml/*", Level: Admin}}, false},
		{[]Scope{{Pattern: "*", Level: Write}}, false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := (&Identity{Scopes: tt.scopes}).IsAdmin(); got != tt.want {
			t.Errorf("IsAdmin(%v) = %v, want %v", tt.scopes, got, tt.want)
		}
	}
}

func TestContext(t *testing.T) {
	ctx := context.Background()
	if FromContext(ctx) != nil {
		t.Fatal("identity in an empty context")
	}
	id := &Identity{User: "alice"}
	if got := FromContext(WithIdentity(ctx, id)); got != id {
		t.Fatalf("FromContext = %v, want %v", got, id)
	}
}

func TestRequire(t *testing.T) {
	alice := &Identity{User: "alice", Scopes: []Scope{{Pattern: "ml/*", Level: Write}}}
	anon := &Identity{User: AnonymousUser, Anonymous: true, Scopes: []Scope{{Pattern: "*", Level: Read}}}
	for _, c := range []struct {
		id   *Identity
		repo string
		l    Level
		want error
	}{
		{alice, "ml/x", Write, nil},
		{alice, "ml/x", Read, nil},
		{alice, "ml/x", Admin, ErrForbidden},
		{alice, "other/x", Read, ErrForbidden},
		{anon, "ml/x", Read, nil},
		{anon, "ml/x", Write, ErrNoCredentials},
	} {
		if err := Require(c.id, c.repo, c.l); !errors.Is(err, c.want) || (c.want == nil && err != nil) {
			t.Errorf("Require(%s, %s, %s) = %v, want %v", c.id.User, c.repo, c.l, err, c.want)
		}
	}
}

func TestReadableNames(t *testing.T) {
	var all []string
	for i := range 1200 { // more than a page of the lister
		all = append(all, fmt.Sprintf("r%04d", i))
	}
	all = append(all, "zz/mine")
	list := func(_ context.Context, after string, limit int) ([]string, error) {
		var out []string
		for _, n := range all {
			if n > after && len(out) < limit {
				out = append(out, n)
			}
		}
		return out, nil
	}
	id := &Identity{User: "u", Scopes: []Scope{{Pattern: "zz/*", Level: Read}, {Pattern: "r000*", Level: Read}}}
	got, err := ReadableNames(context.Background(), id, list, "", 100, 10_000)
	if err != nil || strings.Join(got, " ") != "r0000 r0001 r0002 r0003 r0004 r0005 r0006 r0007 r0008 r0009 zz/mine" {
		t.Fatalf("ReadableNames = %v, %v", got, err)
	}
	if got, _ := ReadableNames(context.Background(), id, list, "r0005", 2, 10_000); strings.Join(got, " ") != "r0006 r0007" {
		t.Fatalf("after r0005, limit 2: %v", got)
	}
	if got, _ := ReadableNames(context.Background(), id, list, "r0009", 5, 500); len(got) != 0 {
		t.Fatalf("a scan bound of one page still found %v past it", got)
	}
}
