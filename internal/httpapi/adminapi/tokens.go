package adminapi

import (
	"fmt"
	"net/http"
	"time"

	"github.com/ballastml/ballast/internal/platform/auth"
	"github.com/ballastml/ballast/internal/platform/httpx"
)

// maxExpiresIn bounds expires_in: 100 years, in seconds.
const maxExpiresIn = 100 * 365 * 24 * 60 * 60

func (a *api) createToken(w http.ResponseWriter, r *http.Request) {
	var req CreateTokenRequest
	if err := decodeJSON(w, r, &req); err != nil {
		a.fail(w, r, err)
		return
	}
	scopes, ttl, err := req.parse()
	if err != nil {
		a.fail(w, r, err)
		return
	}
	secret, tok, err := a.tokens.Create(r.Context(), req.User, scopes, ttl)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.log.InfoContext(r.Context(), "token created", "by", caller(r), "id", tok.ID, "user", tok.User, "scopes", req.Scopes)
	httpx.WriteJSON(w, http.StatusCreated, fromAuthToken(tok, secret))
}

// parse validates the scopes and lifetime of a create request.
func (req CreateTokenRequest) parse() ([]auth.Scope, time.Duration, error) {
	if req.ExpiresIn < 0 || req.ExpiresIn > maxExpiresIn {
		return nil, 0, fmt.Errorf("%w: expires_in must be 0 (never) to %d seconds", auth.ErrInvalidExpiry, maxExpiresIn)
	}
	scopes := make([]auth.Scope, 0, len(req.Scopes))
	for _, s := range req.Scopes {
		sc, err := auth.ParseScope(s)
		if err != nil {
			return nil, 0, err
		}
		scopes = append(scopes, sc)
	}
	return scopes, time.Duration(req.ExpiresIn) * time.Second, nil
}

func (a *api) listTokens(w http.ResponseWriter, r *http.Request) {
	toks, err := a.tokens.List(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := TokenList{Tokens: make([]Token, len(toks))}
	for i, t := range toks {
		out.Tokens[i] = fromAuthToken(t, "")
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

func (a *api) revokeToken(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := a.tokens.Revoke(r.Context(), id); err != nil {
		a.fail(w, r, err)
		return
	}
	a.log.InfoContext(r.Context(), "token revoked", "by", caller(r), "id", id)
	w.WriteHeader(http.StatusNoContent)
}

// caller names the authenticated user and token for the audit log.
func caller(r *http.Request) string {
	id := auth.FromContext(r.Context())
	return id.User + " (token " + id.TokenID + ")"
}
