package oci

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ballastml/ballast/internal/platform/auth"
	"github.com/ballastml/ballast/internal/platform/httpx"
	"github.com/ballastml/ballast/internal/platform/name"
)

// The token endpoint of the registry token flow: a client that got a 401
// with a Bearer challenge asks here, with its API token as Basic password
// (or Bearer), for a short-lived token granting the challenge's scope.
// Reference: distribution/distribution docs/spec/auth/token.md
// ("Requesting a Token", "Token Response Fields") and docs/spec/auth/oauth.md
// (the POST form variant).

// maxTokenScopes bounds the scopes of one token request.
const maxTokenScopes = 32

// maxTokenForm bounds the body of a POST token request.
const maxTokenForm = 64 << 10

type tokenResponse struct {
	Token       string `json:"token"`
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
	IssuedAt    string `json:"issued_at"`
}

func (s *server) serveToken(w http.ResponseWriter, r *http.Request) {
	if err := s.issueToken(w, r); err != nil {
		s.serveError(w, r, err)
	}
}

// issueToken answers a token request. The token grants the requested
// actions the caller's credentials allow; the rest are left out rather than
// refused, and the registry answers 403 when they are used (token.md: "the
// token server ... returns a token with the subset of access that the
// client is authorized for").
func (s *server) issueToken(w http.ResponseWriter, r *http.Request) error {
	if s.tokens == nil {
		return newErr(http.StatusNotFound, CodeUnsupported, "the registry token flow is not configured; use Basic auth")
	}
	creds, requested, err := tokenRequest(w, r)
	if err != nil {
		return err
	}
	if auth.UsesRegistryToken(creds) {
		// Trading a token for a fresh one would outlive a revoked API token.
		return newErr(http.StatusUnauthorized, CodeUnauthorized, "a registry token cannot obtain another; authenticate with an API token")
	}
	id, err := s.auth.Authenticate(creds)
	if err != nil {
		return err
	}
	scopes, err := parseScopes(requested)
	if err != nil {
		return err
	}
	tok, exp, err := s.issue(id, grantsFor(id, scopes))
	if errors.Is(err, auth.ErrInvalidScope) {
		return newErr(http.StatusBadRequest, CodeUnsupported, "%v", err)
	}
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	ttl := s.tokens.TTL()
	httpx.WriteJSON(w, http.StatusOK, tokenResponse{
		Token: tok, AccessToken: tok, ExpiresIn: int(ttl.Seconds()),
		IssuedAt: exp.Add(-ttl).UTC().Format(time.RFC3339),
	})
	return nil
}

func (s *server) issue(id *auth.Identity, grants []auth.Scope) (string, time.Time, error) {
	if id.Anonymous {
		return s.tokens.IssueAnonymous(grants)
	}
	return s.tokens.Issue(id.User, id.TokenID, grants)
}

// tokenRequest returns a request carrying the caller's credentials and the
// requested scope values: from the query of a GET, or from the form of a
// POST (grant_type password with username and password, or refresh_token
// holding an API token).
func tokenRequest(w http.ResponseWriter, r *http.Request) (*http.Request, []string, error) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return r, r.URL.Query()["scope"], nil
	case http.MethodPost:
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		return nil, nil, newErr(http.StatusMethodNotAllowed, CodeUnsupported, "%s is not allowed here", r.Method)
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxTokenForm)
	if err := r.ParseForm(); err != nil {
		return nil, nil, newErr(http.StatusBadRequest, CodeUnsupported, "bad token request form: %v", err)
	}
	c := r.Clone(r.Context())
	c.Header.Del("Authorization")
	switch gt := r.PostForm.Get("grant_type"); gt {
	case "password":
		c.SetBasicAuth(r.PostForm.Get("username"), r.PostForm.Get("password"))
	case "refresh_token":
		c.Header.Set("Authorization", "Bearer "+r.PostForm.Get("refresh_token"))
	default:
		return nil, nil, newErr(http.StatusBadRequest, CodeUnsupported, "unsupported grant_type %q", gt)
	}
	return c, r.PostForm["scope"], nil
}

// resourceScope is one requested "repository:<name>:<actions>".
type resourceScope struct {
	repo    string // a repository, or "*": every repository the caller may reach
	actions []string
}

// parseScopes parses scope values, each a space-separated list. The
// catalog scope (registry:catalog:*) asks to read every repository the
// caller may read, so the catalog can list them; scopes of other resource
// types or with invalid names grant nothing and are skipped.
func parseScopes(values []string) ([]resourceScope, error) {
	var out []resourceScope
	n := 0
	for _, v := range values {
		for _, item := range strings.Fields(v) {
			if n++; n > maxTokenScopes {
				return nil, newErr(http.StatusBadRequest, CodeUnsupported, "more than %d scopes requested", maxTokenScopes)
			}
			if rs, ok := parseScope(item); ok {
				out = append(out, rs)
			}
		}
	}
	return out, nil
}

func parseScope(item string) (resourceScope, bool) {
	if item == "registry:catalog:*" {
		return resourceScope{repo: "*", actions: []string{"pull"}}, true
	}
	typ, rest, _ := strings.Cut(item, ":")
	i := strings.LastIndexByte(rest, ':')
	if typ != "repository" || i < 0 {
		return resourceScope{}, false
	}
	repo := rest[:i]
	if repo != "*" && name.ValidateRepo(repo) != nil {
		return resourceScope{}, false
	}
	return resourceScope{repo: repo, actions: strings.Split(rest[i+1:], ",")}, true
}

// grantsFor intersects the requested scopes with what id allows. Every
// requested repository is recorded, with level None when nothing is
// granted, so the registry can tell "refused" from "not asked" (mayAsk).
func grantsFor(id *auth.Identity, scopes []resourceScope) []auth.Scope {
	var out []auth.Scope
	for _, rs := range scopes {
		if rs.repo != "*" {
			have := id.LevelFor(rs.repo)
			l := granted(have, rs.actions)
			if l == auth.Write && have >= auth.Admin && slices.Contains(rs.actions, "push") {
				// An admin's push may create the repository (auth.Creation),
				// as it may with the API token itself.
				l = auth.Admin
			}
			out = append(out, auth.Scope{Pattern: rs.repo, Level: l})
			continue
		}
		for _, sc := range id.Scopes {
			if l := granted(sc.Level, rs.actions); l > auth.None {
				out = append(out, auth.Scope{Pattern: sc.Pattern, Level: l})
			}
		}
		out = append(out, auth.Scope{Pattern: "*", Level: auth.None})
	}
	return out
}

// granted is the highest level among the actions that have allows.
func granted(have auth.Level, actions []string) auth.Level {
	best := auth.None
	for _, a := range actions {
		if need := actionLevel(a); need > best && need <= have {
			best = need
		}
	}
	return best
}

// actionLevel is the access level a token action needs; unknown actions
// need more than anyone has.
func actionLevel(action string) auth.Level {
	switch action {
	case "pull":
		return auth.Read
	case "push", "delete":
		return auth.Write
	case "*":
		return auth.Admin
	}
	return auth.Admin + 1
}
