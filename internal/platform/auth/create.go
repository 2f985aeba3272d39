package auth

import (
	"context"
	"errors"
	"fmt"
)

// ErrNoRepository: a push names a repository that does not exist, and the
// caller may not create it by pushing (CreatePolicy). Protocols answer 404.
var ErrNoRepository = errors.New("repository does not exist")

// CreatePolicy says who creates a repository by pushing to a name that does
// not exist yet. A typo in a repository name would otherwise create a new
// repository silently, so by default only admins of the name do.
type CreatePolicy int

const (
	// CreateByAdmin: a push creates the repository if the caller holds
	// admin on its name; other writers get ErrNoRepository.
	CreateByAdmin CreatePolicy = iota
	// CreateByWriter: any caller with write access to the name creates it.
	CreateByWriter
	// CreateNever: repositories are created only explicitly (the API's
	// PUT /api/v1/repos/{name}, ballast repo create).
	CreateNever
)

// String returns the policy's setting value.
func (p CreatePolicy) String() string {
	switch p {
	case CreateByWriter:
		return "write"
	case CreateNever:
		return "never"
	}
	return "admin"
}

// ParseCreatePolicy parses "admin", "write" or "never".
func ParseCreatePolicy(s string) (CreatePolicy, error) {
	for _, p := range []CreatePolicy{CreateByAdmin, CreateByWriter, CreateNever} {
		if s == p.String() {
			return p, nil
		}
	}
	return 0, fmt.Errorf("unknown repository creation policy %q (want admin, write or never)", s)
}

// Creation applies a CreatePolicy to pushes. A nil *Creation lets every
// writer create repositories (package tests, tools).
type Creation struct {
	Policy CreatePolicy
	// Exists reports whether a repository exists.
	Exists func(ctx context.Context, repo string) (bool, error)
}

// CheckPush returns nil if id, who holds write access to repo, may push to
// it: the repository exists or id may create it. Otherwise it returns
// ErrNoRepository with the name and how to create it.
func (c *Creation) CheckPush(ctx context.Context, id *Identity, repo string) error {
	if c == nil || c.Policy == CreateByWriter {
		return nil
	}
	if c.Policy == CreateByAdmin && id.Allows(repo, Admin) {
		return nil
	}
	ok, err := c.Exists(ctx, repo)
	if err != nil || ok {
		return err
	}
	return fmt.Errorf("%w: %q; check the name, or have an admin create it (ballast repo create %s)", ErrNoRepository, repo, repo)
}
