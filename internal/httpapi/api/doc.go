// Package api is ballast's provenance API: JSON endpoints under /api/v1/
// that connect a repository to its Git repository and answer where a model
// file comes from, what a ref holds, how a file changed, and what is being
// pulled. The token endpoints under /api/v1/tokens belong to adminapi.
//
//	PUT    /api/v1/repos/{repo}/git          connect the Git repository (admin)
//	GET    /api/v1/repos/{repo}/git          the connection and its problems (read)
//	DELETE /api/v1/repos/{repo}/git          disconnect (admin)
//	POST   /api/v1/repos/{repo}/git/sync     fetch and index now; a webhook target (write)
//	GET    /api/v1/repos/{repo}/refs/{ref}   files at a tag, branch or commit (read)
//	GET    /api/v1/repos/{repo}/history      versions of one file (read)
//	GET    /api/v1/repos/{repo}/diff         files added, removed, changed between refs (read)
//	GET    /api/v1/repos/{repo}/live         digests pulled recently (read)
//	GET    /api/v1/digests/{digest}          every commit and path pinning a digest
//	GET    /api/v1/pulls                     the pull log
//	GET    /api/v1/repos                     the repositories the caller can read
//
// Repository names hold slashes, so /api/v1/repos/ is routed by its known
// suffixes. Results never show a repository the caller cannot read. Every
// list is paginated with limit and cursor; the body's next_cursor and a
// Link header lead to the next page. Errors are JSON
// {"error":{"code":"…","message":"…"}} (see httpx). The wire types are
// exported so the ballast command shares them. docs/api.md is the
// reference with examples.
package api
