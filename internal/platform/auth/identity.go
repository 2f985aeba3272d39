package auth

import (
	"context"
	"fmt"
	"strings"
)

// Level is an access level. Each level includes the ones below it.
type Level int

const (
	None Level = iota
	Read
	Write
	Admin
)

func (l Level) String() string {
	switch l {
	case Read:
		return "read"
	case Write:
		return "write"
	case Admin:
		return "admin"
	}
	return "none"
}

// ParseLevel parses "read", "write" or "admin".
func ParseLevel(s string) (Level, error) {
	switch s {
	case "read":
		return Read, nil
	case "write":
		return Write, nil
	case "admin":
		return Admin, nil
	}
	return None, fmt.Errorf("%w: unknown access level %q (want read, write or admin)", ErrInvalidScope, s)
}

// Scope grants Level on every repository matching Pattern. In a pattern,
// '*' matches any run of characters, '/' included: "ml/*" covers "ml/x" and
// "ml/x/y", "*" covers everything.
type Scope struct {
	Pattern string
	Level   Level
}

// String formats the scope as "pattern:level".
func (s Scope) String() string { return s.Pattern + ":" + s.Level.String() }

// ParseScope parses "pattern:level", for example "ml/*:write".
func ParseScope(s string) (Scope, error) {
	pat, lvl, ok := strings.Cut(s, ":")
	if !ok || pat == "" {
		return Scope{}, fmt.Errorf("%w: %q (want PATTERN:LEVEL, e.g. ml/*:write)", ErrInvalidScope, s)
	}
	l, err := ParseLevel(lvl)
	if err != nil {
		return Scope{}, err
	}
	for _, r := range pat {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("._-/*", r)) {
			return Scope{}, fmt.Errorf("%w: pattern %q may hold only [a-z0-9._-/*]", ErrInvalidScope, pat)
		}
	}
	return Scope{Pattern: pat, Level: l}, nil
}

// Matches reports whether the pattern covers repo.
func (s Scope) Matches(repo string) bool { return globMatch(s.Pattern, repo) }

// globMatch matches '*' as any run of characters (including '/'). It
// backtracks only to the most recent star, so it runs in O(len(pat)*len(s))
// however many stars the pattern holds.
func globMatch(pat, s string) bool {
	p, i := 0, 0
	starP, starI := -1, 0 // position after the last star, and where its run ends
	for p < len(pat) || i < len(s) {
		switch {
		case p < len(pat) && pat[p] == '*':
			starP, starI = p+1, i
			p++
		case p < len(pat) && i < len(s) && pat[p] == s[i]:
			p++
			i++
		case starP >= 0 && starI < len(s):
			starI++ // let the last star swallow one more character
			p, i = starP, starI
		default:
			return false
		}
	}
	return true
}

// Identity is the authenticated caller of a request.
type Identity struct {
	User      string  // user name the token was issued to; "anonymous" for anonymous reads
	TokenID   string  // id of the token used; empty for anonymous
	Anonymous bool    // true when no credentials were presented and anonymous read is on
	Scopes    []Scope // what the token grants
}

// Allows reports whether the identity has at least level l on repo.
// A nil identity allows nothing.
func (id *Identity) Allows(repo string, l Level) bool {
	return id != nil && id.LevelFor(repo) >= l
}

// LevelFor returns the highest level any scope grants on repo.
func (id *Identity) LevelFor(repo string) Level {
	best := None
	if id == nil {
		return best
	}
	for _, s := range id.Scopes {
		if s.Level > best && s.Matches(repo) {
			best = s.Level
		}
	}
	return best
}

// IsAdmin reports whether the identity holds admin on every repository
// (scope "*:admin"), which is what the admin API requires.
func (id *Identity) IsAdmin() bool {
	if id == nil {
		return false
	}
	for _, s := range id.Scopes {
		if s.Pattern == "*" && s.Level == Admin {
			return true
		}
	}
	return false
}

type ctxKey struct{}

// WithIdentity returns a context carrying id.
func WithIdentity(ctx context.Context, id *Identity) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// FromContext returns the identity stored by WithIdentity, or nil.
func FromContext(ctx context.Context) *Identity {
	id, _ := ctx.Value(ctxKey{}).(*Identity)
	return id
}

// Require checks that id holds level l on repo. Anonymous callers are
// asked for credentials (ErrNoCredentials, a 401); authenticated ones are
// refused (ErrForbidden, a 403) whether or not the repository exists, so a
// refusal never reveals existence.
func Require(id *Identity, repo string, l Level) error {
	switch {
	case id.Allows(repo, l):
		return nil
	case id.Anonymous:
		return fmt.Errorf("%w: %s access to %q needs a token", ErrNoCredentials, l, repo)
	}
	return fmt.Errorf("%w: %s has no %s access to repository %q", ErrForbidden, id.User, l, repo)
}

// ReadableNames pages through names in order with list (the names after
// after, at most limit of them) and returns, in order, up to limit of those
// after after that id can read. It looks at maxScan names at most, so a
// caller who can read few of many costs a bounded amount; ask for one more
// than a page to learn whether there is another.
func ReadableNames(ctx context.Context, id *Identity, list func(ctx context.Context, after string, limit int) ([]string, error),
	after string, limit, maxScan int) ([]string, error) {
	const page = 500
	out := []string{}
	for scanned := 0; scanned < maxScan && len(out) < limit; {
		names, err := list(ctx, after, page)
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			if id.Allows(n, Read) && len(out) < limit {
				out = append(out, n)
			}
		}
		if len(names) < page {
			break
		}
		scanned += len(names)
		after = names[len(names)-1]
	}
	return out, nil
}
