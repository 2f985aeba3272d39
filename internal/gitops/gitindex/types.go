package gitindex

import "time"

// Kinds of Ref.
const (
	KindBranch = "branch"
	KindTag    = "tag"
)

// Kinds of Problem.
const (
	ProblemMalformedPointer = "malformed-pointer"
	ProblemOversizedPointer = "oversized-pointer"
	ProblemLargeNonLFS      = "large-non-lfs-file"
)

// SyncResult says what one Sync changed.
type SyncResult struct {
	NewCommits int         // commits indexed by this sync
	Changed    []RefChange // refs created, moved or deleted, by kind then name
	Problems   []Problem   // problems found in the new commits (at most maxResultProblems)
}

// RefChange is a branch or tag that was created (Old ""), moved, or
// deleted (New "").
type RefChange struct {
	Name     string // "v1.0.0" or "main"
	Kind     string // KindTag or KindBranch
	Old, New string // commit shas
}

// Problem is a file that looks wrong for Git LFS, reported at the commit
// that introduced it.
type Problem struct {
	Commit string
	Path   string
	Kind   string // ProblemMalformedPointer, ProblemOversizedPointer or ProblemLargeNonLFS
	Detail string
}

// Commit is an indexed commit's metadata. Times keep the offset they were
// recorded with.
type Commit struct {
	SHA            string
	Parents        []string
	AuthorName     string
	AuthorEmail    string
	AuthorTime     time.Time
	CommitterName  string
	CommitterEmail string
	CommitTime     time.Time
	Message        string
}

// File is a Git LFS file at a commit: its path and the object its pointer
// names.
type File struct {
	Path string
	OID  string // 64 lower-case hex: the sha256 of the file's content
	Size int64
}

// Ref is a branch or tag and the commit it points to (tags peeled).
type Ref struct {
	Name   string
	Kind   string // KindBranch or KindTag
	Commit string
}

// Occurrence is a commit whose tree has an LFS object at a path.
type Occurrence struct {
	Repo   string
	Path   string
	Commit Commit
	Refs   []Ref // branches and tags whose tip is this commit
}

// FileVersion is one change of a path: the commit and the path's LFS
// object after it. A removal has Removed set and no OID.
type FileVersion struct {
	Commit  Commit
	OID     string
	Size    int64
	Removed bool
}

// Status is the outcome of a repository's last sync.
type Status struct {
	LastSync  time.Time // zero before the first sync
	LastError string    // "" when the last sync succeeded
}
