package oci

import (
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/ballastml/ballast/internal/platform/auth"
	"github.com/ballastml/ballast/internal/platform/httpx"
)

// The registry accepts API tokens (Basic password or Bearer) on every
// endpoint, and the short-lived registry tokens of the token flow as
// Bearer. A 401 carries the challenge that starts the flow.
// Reference: distribution/distribution docs/spec/auth/token.md
// ("How to authenticate"); RFC 6750 §3 (WWW-Authenticate for Bearer).

// authorize returns the caller's identity if it holds lvl on repo, else an
// *Error: 401 with the scope to ask a token for, or 403 DENIED. A write to
// a repository that does not exist also needs the right to create it
// (auth.Creation; 404 NAME_UNKNOWN otherwise).
func (s *server) authorize(r *http.Request, repo string, lvl auth.Level) (*auth.Identity, error) {
	id, err := s.auth.Authenticate(r)
	if err != nil {
		return nil, unauthorized(err, repoScope(repo, actions(r, lvl)))
	}
	if id.Allows(repo, lvl) {
		if lvl >= auth.Write {
			return id, s.create.CheckPush(r.Context(), id, repo)
		}
		return id, nil
	}
	if mayAsk(r, id, repo) {
		return nil, needToken(repoScope(repo, actions(r, lvl)))
	}
	return nil, newErr(http.StatusForbidden, CodeDenied, "%s lacks %s access to %s", id.User, lvl, repo)
}

// mayAsk reports whether a caller refused access to repo should be sent to
// the token endpoint rather than denied: an anonymous caller may log in,
// and a registry token that says nothing about repo was obtained for other
// scopes. A registry token that names repo records the token server's
// refusal, and asking again would get the same answer.
func mayAsk(r *http.Request, id *auth.Identity, repo string) bool {
	if id.Anonymous {
		return true
	}
	if !auth.UsesRegistryToken(r) {
		return false
	}
	for _, sc := range id.Scopes {
		if sc.Matches(repo) {
			return false
		}
	}
	return true
}

// unauthorized gives a 401 from Authenticate the challenge scope; other
// errors (server faults) pass through.
func unauthorized(err error, scope string) error {
	e := classify(err)
	if e == nil || e.Status != http.StatusUnauthorized {
		return err
	}
	e.Scope = scope
	return e
}

// needToken is a 401 asking the client for a token with scope.
func needToken(scope string) *Error {
	e := newErr(http.StatusUnauthorized, CodeUnauthorized, "authentication required")
	e.Scope = scope
	return e
}

// actions names the token actions a request needing lvl asks for.
// Reference: token.md ("Requesting a Token"): pull, push, delete, *.
func actions(r *http.Request, lvl auth.Level) string {
	switch {
	case lvl <= auth.Read:
		return "pull"
	case lvl == auth.Admin:
		return "*"
	case r.Method == http.MethodDelete:
		return "delete"
	}
	return "pull,push"
}

// repoScope is a token scope for repo.
func repoScope(repo, actions string) string { return "repository:" + repo + ":" + actions }

// challenge sets WWW-Authenticate on a 401 for scope (may be empty): the
// token flow's Bearer challenge, or Basic from the token endpoint itself and
// when no token issuer is configured.
func (s *server) challenge(w http.ResponseWriter, r *http.Request, scope string) {
	base := s.baseURL(r)
	if r.URL.Path == TokenPath || s.tokens == nil {
		w.Header().Set("WWW-Authenticate", "Basic realm="+quote(base.Host))
		return
	}
	v := "Bearer realm=" + quote(base.String()+TokenPath) + ",service=" + quote(base.Host)
	if scope != "" {
		v += ",scope=" + quote(scope)
	}
	w.Header().Set("WWW-Authenticate", v)
}

// baseURL is where clients reach the server: PublicURL, or else the
// request's own host. A request that reached a loopback public URL under
// another loopback name (localhost for 127.0.0.1, say, on the same port)
// is answered with the name it used: clients such as oras refuse a token
// realm on another host than the registry, and every loopback name is
// this machine.
func (s *server) baseURL(r *http.Request) *url.URL {
	if u, err := url.Parse(strings.TrimSuffix(s.public, "/")); err == nil && u.Host != "" {
		if loopbackAlias(u, r.Host) {
			alias := *u
			alias.Host = r.Host
			return &alias
		}
		return u
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return &url.URL{Scheme: scheme, Host: r.Host}
}

// loopbackAlias reports whether host (a request's Host) names the same
// port of this machine as public does, by another loopback name.
func loopbackAlias(public *url.URL, host string) bool {
	if host == public.Host {
		return false
	}
	h, port, err := net.SplitHostPort(host)
	if err != nil || port != public.Port() {
		return false
	}
	return isLoopback(h) && isLoopback(public.Hostname())
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && ip.IsLoopback()
}

// quote makes s an HTTP quoted-string. Reference: RFC 9110 §5.6.4.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// base answers GET and HEAD /v2/: 200 to a caller who authenticates (or
// any caller when anonymous read is on), else 401 with a scope-less
// challenge.
// Reference: distribution-spec §"Determining support" (end-1).
func (s *server) base(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.auth.Authenticate(r); err != nil {
		return unauthorized(err, "")
	}
	httpx.WriteJSON(w, http.StatusOK, struct{}{})
	return nil
}
