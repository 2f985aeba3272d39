// Package adminapi is ballast's admin HTTP API: JSON endpoints under
// /api/v1/ for managing access tokens. Every endpoint requires a token with
// the "*:admin" scope.
//
//	POST   /api/v1/tokens       issue a token; the response holds its secret, shown once
//	GET    /api/v1/tokens       list tokens (never secrets)
//	DELETE /api/v1/tokens/{id}  revoke a token
//
// Errors are JSON {"error":{"code":"…","message":"…"}} (see httpx).
// The wire types are exported so the ballast command can share them.
package adminapi
