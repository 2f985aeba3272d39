package api

import (
	"time"

	"github.com/ballastml/ballast/oci"
	"github.com/ballastml/ballast/store"

	"github.com/ballastml/ballast/internal/gitops/pulllog"
)

// Prefix is where the API is mounted.
const Prefix = "/api/v1/"

// ConnectRequest is the body of PUT /api/v1/repos/{repo}/git.
type ConnectRequest struct {
	URL        string `json:"url"`
	Username   string `json:"username,omitempty"`
	Password   string `json:"password,omitempty"`
	TagPattern string `json:"tag_pattern,omitempty"` // e.g. "v*"; empty: every tag
	PathFilter string `json:"path_filter,omitempty"` // e.g. "models/**"; empty: every path
	// ImageRoot is the Git directory the image form places at /models:
	// empty for the deepest directory holding every published file, "/"
	// for the repository root, or a directory such as "models/llama".
	ImageRoot string `json:"image_root,omitempty"`
	// NoCheck saves the connection without first checking that the remote
	// answers (for a remote that does not exist yet).
	NoCheck bool `json:"no_check,omitempty"`
}

// GitSource is a connection as the API shows it: never its password.
type GitSource struct {
	URL         string `json:"url"`
	Username    string `json:"username,omitempty"`
	PasswordSet bool   `json:"password_set"`
	TagPattern  string `json:"tag_pattern,omitempty"`
	PathFilter  string `json:"path_filter,omitempty"`
	ImageRoot   string `json:"image_root,omitempty"`
}

// Pending is a Git tag (or a commit, Tag "") whose artifact cannot be
// published yet because the repository lacks some of its LFS objects.
type Pending struct {
	Tag     string    `json:"tag,omitempty"`
	Commit  string    `json:"commit"`
	Missing []string  `json:"missing"` // oids
	Since   time.Time `json:"since"`
}

// GitStatus is the body of GET (and PUT) /api/v1/repos/{repo}/git.
type GitStatus struct {
	Repo      string     `json:"repo"`
	Git       GitSource  `json:"git"`
	LastSync  *time.Time `json:"last_sync"`            // null before the first sync
	LastError string     `json:"last_error,omitempty"` // of the last sync; absent when it succeeded
	Refs      []Ref      `json:"refs"`
	Problems  []Problem  `json:"problems"`
	// Pending are the publications waiting for LFS objects that were never
	// pushed; each is published as soon as its last object arrives.
	Pending    []Pending `json:"pending"`
	NextCursor string    `json:"next_cursor"` // of problems
}

// Ref is a branch or tag.
type Ref struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"` // "branch" or "tag"
	Commit string `json:"commit,omitempty"`
}

// Problem is something the indexer could not index, such as a malformed
// pointer file or a large file committed without Git LFS.
type Problem struct {
	Commit string `json:"commit,omitempty"`
	Path   string `json:"path,omitempty"`
	Kind   string `json:"kind"`
	Detail string `json:"detail"`
}

// SyncResult is the body of the response to POST …/git/sync.
type SyncResult struct {
	Repo       string      `json:"repo"`
	NewCommits int         `json:"new_commits"`
	Changed    []RefChange `json:"changed"`
	Problems   []Problem   `json:"problems"`
}

// RefChange is a ref a sync created, moved or deleted; Old or New is empty
// for a created or deleted ref.
type RefChange struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	Old  string `json:"old,omitempty"`
	New  string `json:"new,omitempty"`
}

// Person is an author or committer.
type Person struct {
	Name  string    `json:"name"`
	Email string    `json:"email"`
	Time  time.Time `json:"time"`
}

// Commit is a Git commit.
type Commit struct {
	SHA       string   `json:"sha"`
	Parents   []string `json:"parents"`
	Author    Person   `json:"author"`
	Committer Person   `json:"committer"`
	Message   string   `json:"message"`
}

// File is an LFS object at a path.
type File struct {
	Path   string `json:"path"`
	Digest string `json:"digest"` // "sha256:<oid>"
	Size   int64  `json:"size"`
	// ImagePath is where the ref's image form places the file (a
	// container mounting it sees it there); empty when the file is not
	// published or not in the image form. Only GET …/refs/{ref} sets it.
	ImagePath string `json:"image_path,omitempty"`
}

// Occurrence is one commit and path pinning a digest.
type Occurrence struct {
	Repo   string `json:"repo"`
	Path   string `json:"path"`
	Commit Commit `json:"commit"`
	Refs   []Ref  `json:"refs"` // branches and tags whose tip is the commit
}

// DigestInfo is the body of GET /api/v1/digests/{digest}.
type DigestInfo struct {
	Digest      string       `json:"digest"`
	Occurrences []Occurrence `json:"occurrences"`
	// Manifests are the repositories the caller can read that hold an
	// OCI manifest with the digest, with its tags there (first page only).
	Manifests  []oci.ManifestRef `json:"manifests,omitempty"`
	NextCursor string            `json:"next_cursor"`
}

// RefFiles is the body of GET /api/v1/repos/{repo}/refs/{ref}.
type RefFiles struct {
	Repo           string `json:"repo"`
	Ref            string `json:"ref"`
	Commit         Commit `json:"commit"`
	ManifestDigest string `json:"manifest_digest,omitempty"` // the OCI manifest the ref was published as
	OCITag         string `json:"oci_tag,omitempty"`         // the OCI tag that manifest is found under
	// MissingOCITag is the OCI tag a Git tag is published under when that
	// tag does not exist now (deleted by hand): manifest_digest and oci_tag
	// are then those of the commit artifact, git-<sha12>.
	MissingOCITag string `json:"missing_oci_tag,omitempty"`
	Files         []File `json:"files"`
	NextCursor    string `json:"next_cursor"`
}

// Version is one version of a file.
type Version struct {
	Commit  Commit `json:"commit"`
	Digest  string `json:"digest,omitempty"` // empty when Removed
	Size    int64  `json:"size"`
	Removed bool   `json:"removed"`
}

// History is the body of GET /api/v1/repos/{repo}/history.
type History struct {
	Repo       string    `json:"repo"`
	Path       string    `json:"path"`
	Versions   []Version `json:"versions"` // newest first
	NextCursor string    `json:"next_cursor"`
}

// Change is a file that differs between two refs.
type Change struct {
	Status string `json:"status"` // "added", "removed" or "changed"
	Path   string `json:"path"`
	Old    *File  `json:"old,omitempty"` // nil when added
	New    *File  `json:"new,omitempty"` // nil when removed
}

// Diff is the body of GET /api/v1/repos/{repo}/diff.
type Diff struct {
	Repo       string   `json:"repo"`
	From       RefAt    `json:"from"`
	To         RefAt    `json:"to"`
	Added      int      `json:"added"`   // counts over the whole diff
	Removed    int      `json:"removed"` //
	Changed    int      `json:"changed"` //
	Changes    []Change `json:"changes"` // by path
	NextCursor string   `json:"next_cursor"`
}

// RefAt is a ref as given and the commit it resolved to.
type RefAt struct {
	Ref    string `json:"ref"`
	Commit string `json:"commit"`
}

// Pulls is the body of GET /api/v1/pulls.
type Pulls struct {
	Pulls      []pulllog.PullEvent `json:"pulls"` // newest first
	NextCursor string              `json:"next_cursor"`
}

// Live is the body of GET /api/v1/repos/{repo}/live.
type Live struct {
	Repo       string               `json:"repo"`
	Since      time.Time            `json:"since"`
	Digests    []pulllog.LiveDigest `json:"digests"` // most recently pulled first
	NextCursor string               `json:"next_cursor"`
}

// Repos is the body of GET /api/v1/repos: the repositories the caller can
// read, in name order.
// Repo is a repository, as GET and PUT /api/v1/repos/{repo} answer.
type Repo struct {
	Name    string `json:"name"`
	Created bool   `json:"created,omitempty"` // PUT: it did not exist before
}

type Repos struct {
	Repos      []string `json:"repos"`
	NextCursor string   `json:"next_cursor"`
}

// Publication is what a ref was published as: the manifest, the OCI tag it
// is found under, and the OCI tag of a Git tag that is missing (deleted by
// hand), if any.
type Publication struct {
	Digest, Tag, MissingTag string
}

// Stats is the body of GET /api/v1/stats.
type Stats struct {
	// Total is the whole store, shown to a token with "*:admin" only
	// (it counts repositories others cannot see).
	Total *store.Usage `json:"total,omitempty"`
	// Repos are the repositories the token can read.
	Repos []store.RepoUsage `json:"repos"`
}
