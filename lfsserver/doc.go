// Package lfsserver serves the Git LFS HTTP API over ballast's store: the
// Batch API, the basic transfer adapter (download, upload, verify) and the
// File Locking API.
//
// Reference: git-lfs docs/api (batch.md, basic-transfers.md, locking.md,
// authentication.md, server-discovery.md).
//
// URLs follow Git LFS server discovery: the LFS endpoint of repository
// ml/cat is {base}/ml/cat.git/info/lfs (also {base}/ml/cat/info/lfs), and
// the API lives below it:
//
//	POST {endpoint}/objects/batch          Batch API
//	GET  {endpoint}/objects/{oid}          basic download (single byte ranges)
//	PUT  {endpoint}/objects/{oid}          basic upload, streamed into the store
//	POST {endpoint}/objects/verify         upload verification
//	GET  {endpoint}/locks                  list locks
//	POST {endpoint}/locks                  create a lock
//	POST {endpoint}/locks/verify           locks for a push, split ours/theirs
//	POST {endpoint}/locks/{id}/unlock      delete a lock
//
// Transfer hrefs point back at this server ({PublicURL}/{repo}.git/info/lfs/
// objects/{oid}) and carry the caller's Authorization header, so a transfer
// is authorized exactly like the batch request that produced it. The
// expires_in of an action is advisory: the token decides. The batch "ref"
// is accepted and ignored, as tokens are scoped by repository, not by ref.
//
// Authorization: batch download, GET and lock listing need read access; batch
// upload, PUT, verify and every lock change need write; forcing the removal
// of another user's lock needs admin. A request without credentials gets 401
// with LFS-Authenticate; an authenticated caller lacking the level gets 403,
// whether or not the repository exists, so 403 never reveals existence. Only
// a caller with read access learns that a repository is missing (404).
//
// Object ids are exactly 64 lower-case hex digits (sha256); anything else is
// a per-object 422 in a batch and a 422 response on a transfer URL. Errors
// are JSON bodies {message, documentation_url, request_id} with Content-Type
// application/vnd.git-lfs+json; the status of every error comes from one
// table in errors.go.
//
// Locks belong to a repository, not to a ref: the single-branch locking of
// the API's first version. The ref given when locking is recorded; the
// refspec of a listing is accepted and ignored. Lock ids are random and are
// only found in the repository that holds the lock. Listings are ordered by
// path and paged with an opaque cursor.
//
// A download whose stored bytes fail verification mid-stream is aborted
// (the connection is cut): a client never receives a complete 200 or 206
// with wrong bytes.
//
// Not a library: the package is part of the ballast server. Its API takes
// the module's internal types (such as *db.DB and *auth.Identity), so code
// outside this module cannot use it; it sits at the top level of the tree
// because it is one of the product's named parts, and its exported names
// are what the server's other packages call.
package lfsserver
