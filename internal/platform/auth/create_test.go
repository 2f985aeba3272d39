package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestCreationCheckPush(t *testing.T) {
	existing := map[string]bool{"ml/a": true}
	exists := func(_ context.Context, repo string) (bool, error) { return existing[repo], nil }
	admin := &Identity{User: "ops", Scopes: []Scope{{"ml/*", Admin}}}
	writer := &Identity{User: "ci", Scopes: []Scope{{"ml/*", Write}}}
	tests := []struct {
		policy CreatePolicy
		id     *Identity
		repo   string
		ok     bool
	}{
		{CreateByAdmin, admin, "ml/new", true},
		{CreateByAdmin, writer, "ml/new", false},
		{CreateByAdmin, writer, "ml/a", true},
		{CreateByWriter, writer, "ml/new", true},
		{CreateNever, admin, "ml/new", false},
		{CreateNever, writer, "ml/a", true},
	}
	for _, tt := range tests {
		c := &Creation{Policy: tt.policy, Exists: exists}
		err := c.CheckPush(context.Background(), tt.id, tt.repo)
		if tt.ok != (err == nil) {
			t.Errorf("policy %s, %s pushing to %s: %v, want ok=%v", tt.policy, tt.id.User, tt.repo, err, tt.ok)
		}
		if err != nil && (!errors.Is(err, ErrNoRepository) || !strings.Contains(err.Error(), "ballast repo create "+tt.repo)) {
			t.Errorf("policy %s: error %q does not name the repository and how to create it", tt.policy, err)
		}
	}
	var none *Creation
	if err := none.CheckPush(context.Background(), writer, "ml/new"); err != nil {
		t.Errorf("a nil Creation refused a writer: %v", err)
	}
	failing := &Creation{Exists: func(context.Context, string) (bool, error) { return false, errors.New("db down") }}
	if err := failing.CheckPush(context.Background(), writer, "ml/new"); err == nil || errors.Is(err, ErrNoRepository) {
		t.Errorf("a failing lookup gave %v, want its error", err)
	}
}

func TestParseCreatePolicy(t *testing.T) {
	for _, p := range []CreatePolicy{CreateByAdmin, CreateByWriter, CreateNever} {
		if got, err := ParseCreatePolicy(p.String()); err != nil || got != p {
			t.Errorf("ParseCreatePolicy(%q) = %v, %v", p, got, err)
		}
	}
	if _, err := ParseCreatePolicy("everyone"); err == nil {
		t.Error("ParseCreatePolicy accepted an unknown policy")
	}
}
