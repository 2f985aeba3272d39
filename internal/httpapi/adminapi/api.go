package adminapi

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/ballastml/ballast/internal/platform/auth"
)

type api struct {
	tokens *auth.Tokens
	auth   *auth.Authenticator
	gc     GCFunc
	log    *slog.Logger
}

// New returns the admin API handler. It answers requests for TokensPath and
// the paths below it, and for GCPath, so mount it on all three:
//
//	mux.Handle(adminapi.TokensPath, h)
//	mux.Handle(adminapi.TokensPath+"/", h)
//	mux.Handle(adminapi.GCPath, h)
//
// Every request needs an identity with IsAdmin; others get 401 or 403.
func New(t *auth.Tokens, a *auth.Authenticator, gc GCFunc, logger *slog.Logger) http.Handler {
	api := &api{tokens: t, auth: a, gc: gc, log: logger}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+GCPath, api.runGC)
	mux.HandleFunc(GCPath, api.methodNotAllowed("POST"))
	mux.HandleFunc("POST "+TokensPath, api.createToken)
	mux.HandleFunc("GET "+TokensPath, api.listTokens)
	mux.HandleFunc("DELETE "+TokensPath+"/{id}", api.revokeToken)
	mux.HandleFunc(TokensPath, api.methodNotAllowed("GET, POST"))
	mux.HandleFunc(TokensPath+"/{id}", api.methodNotAllowed("DELETE"))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		api.fail(w, r, fmt.Errorf("%w: %s", errNotFound, r.URL.Path))
	})
	return api.requireAdmin(mux)
}

// requireAdmin lets through only requests whose identity IsAdmin, with the
// identity in their context.
func (a *api) requireAdmin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := a.auth.Authenticate(r)
		switch {
		case err != nil:
			a.fail(w, r, err)
		case id.Anonymous:
			a.fail(w, r, auth.ErrNoCredentials)
		case !id.IsAdmin():
			a.fail(w, r, errForbidden)
		default:
			next.ServeHTTP(w, r.WithContext(auth.WithIdentity(r.Context(), id)))
		}
	})
}

func (a *api) methodNotAllowed(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		a.fail(w, r, fmt.Errorf("%w: %s %s (allowed: %s)", errMethod, r.Method, r.URL.Path, allow))
	}
}
