package name

import (
	"errors"
	"fmt"
	"regexp"
)

// MaxRepoLength bounds a repository name. The OCI distribution spec allows
// registries to limit names; 255 matches the reference implementation.
const MaxRepoLength = 255

// ErrInvalidRepo classifies every invalid repository name.
var ErrInvalidRepo = errors.New("invalid repository name")

// repoRE is the repository name grammar of the OCI distribution spec
// (Reference: distribution-spec "Pulling manifests", <name> grammar):
// path components of lower-case alphanumerics separated by '.', '_', '__'
// or runs of '-', joined by '/'.
var repoRE = regexp.MustCompile(`^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$`)

// ValidateRepo returns nil if s is a valid repository name, and an error
// wrapping ErrInvalidRepo that says why otherwise.
func ValidateRepo(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("%w: empty", ErrInvalidRepo)
	case len(s) > MaxRepoLength:
		return fmt.Errorf("%w: longer than %d characters", ErrInvalidRepo, MaxRepoLength)
	case !repoRE.MatchString(s):
		return fmt.Errorf("%w: %q must be lower-case path components [a-z0-9] separated by '.', '_', '__', '-' and joined by '/'", ErrInvalidRepo, s)
	}
	return nil
}
