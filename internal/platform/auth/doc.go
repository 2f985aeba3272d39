// Package auth issues and checks ballast's access tokens.
//
// A token is issued to a user name with scopes such as "ml/*:write"; only
// its SHA-256 is stored. Secrets are "blst_" followed by 32 random bytes in
// base32, so leaked-secret scanners can recognise them. Requests present a
// secret as the password of HTTP Basic auth or as a Bearer token.
// Authenticate turns a request into an Identity, which answers
// Allows(repo, level); protocol packages decide how to answer a refusal
// (LFS-Authenticate, WWW-Authenticate, status codes).
//
// Tokens keeps tokens in the metadata DB; EnsureAdmin bootstraps the first
// admin token at server start.
package auth
