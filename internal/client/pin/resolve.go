package pin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/errcode"
)

// Registry resolves references against their registries with oras-go, by
// a HEAD request for the manifest. It remembers every answer, so a tag
// named in many files is asked once. It is not safe for concurrent use.
type Registry struct {
	// Credential finds the credentials for a registry host; nil means
	// anonymous access.
	Credential auth.CredentialFunc
	// PlainHTTP talks HTTP instead of HTTPS to every registry. Registries on
	// a loopback address (localhost, 127.0.0.1, ::1) always get HTTP.
	PlainHTTP bool
	// Client sends the requests; nil means a client with a one-minute
	// timeout.
	Client *http.Client

	cache auth.Cache
	memo  map[string]digest.Digest
}

// Resolve implements [Resolver].
func (r *Registry) Resolve(ctx context.Context, ref Ref) (digest.Digest, error) {
	key := ref.Repository() + " " + ref.Query()
	if d, ok := r.memo[key]; ok {
		return d, nil
	}
	repo, err := remote.NewRepository(ref.Repository())
	if err != nil {
		return "", err
	}
	repo.PlainHTTP = r.PlainHTTP || isLoopback(ref.Registry())
	repo.Client = r.authClient()
	desc, err := repo.Resolve(ctx, ref.Query())
	if err != nil {
		return "", err
	}
	if r.memo == nil {
		r.memo = make(map[string]digest.Digest)
	}
	r.memo[key] = desc.Digest
	return desc.Digest, nil
}

func (r *Registry) authClient() *auth.Client {
	if r.cache == nil {
		r.cache = auth.NewCache()
	}
	c := r.Client
	if c == nil {
		c = &http.Client{Timeout: time.Minute}
	}
	return &auth.Client{
		Client:     c,
		Header:     http.Header{"User-Agent": {"ballast-pin"}},
		Credential: r.Credential,
		Cache:      r.cache,
	}
}

// isLoopback reports whether a registry host (with an optional port) is
// this machine.
func isLoopback(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}

// describe says why a reference did not resolve, in words a user can act
// on.
// unreachable reports whether err says the registry could not be reached
// at all (no answer, a refused connection, a name that does not resolve).
func unreachable(err error) bool {
	var netErr net.Error
	return errors.As(err, &netErr)
}

func describe(err error, ref Ref) string {
	var resp *errcode.ErrorResponse
	var netErr net.Error
	switch {
	case errors.Is(err, errdef.ErrNotFound) && ref.Tag == "" && ref.Pinned():
		return "digest not found"
	case errors.Is(err, errdef.ErrNotFound):
		return "tag not found"
	case errors.Is(err, auth.ErrBasicCredentialNotFound),
		errors.As(err, &resp) && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden):
		return fmt.Sprintf("access denied by %s: give credentials with --username and --password, BALLAST_TOKEN or docker login", ref.Registry())
	case errors.As(err, &netErr):
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			err = urlErr.Err // drop the method and URL
		}
		msg := fmt.Sprintf("cannot reach registry %s: %v", ref.Registry(), err)
		if strings.Contains(msg, "HTTP response to HTTPS client") {
			msg += " (use --plain-http for a registry served over HTTP)"
		}
		return msg
	}
	return err.Error()
}
