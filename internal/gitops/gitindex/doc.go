// Package gitindex mirrors the Git repository connected to a ballast
// repository and indexes its history: commits, branches and tags, and the
// Git LFS pointer files of every commit, so that a digest can be traced to
// the commits, paths and tags that pin it.
//
// Sync fetches the remote with go-git into a bare mirror under the data
// directory (all branches and tags, forced, deleted refs pruned), then
// indexes the commits no sync has indexed yet, parents before children,
// in transactions of bounded size; the refs are stored last. A sync cut
// short leaves a consistent index that the next sync continues. For a
// local path go-git runs the git-upload-pack program, so serving local
// repositories needs Git installed; HTTP(S) remotes do not.
//
// A commit's LFS files are derived from its first parent's by a tree diff,
// so unchanged subtrees are never read, and a commit whose tree was indexed
// before (a revert) reuses that listing without reading Git objects. Only
// blobs of at most 1024 bytes are read as pointer candidates.
//
// Pointers are recognised by the git-lfs pointer rules (lfspointer.Parse).
// .gitattributes files, at the root and in subdirectories, say which paths
// Git LFS tracks (filter=lfs). A tracked path holding something that is
// not a pointer is reported as a Problem, as is a large file outside Git
// LFS; problems never stop indexing. A valid pointer on an untracked path
// is indexed like any other: git-lfs itself treats such a blob as a
// pointer (git lfs ls-files lists it), and its object is what a checkout
// with the filter would fetch.
//
// Problems are recorded at the commit whose diff introduced them, not
// again at every descendant; a commit that changes a .gitattributes file
// is examined in full and reports again what is still wrong in it.
//
// Commits that a force push or a deleted ref made unreachable are removed
// from the index, so every query describes the repository as the remote
// has it now.
package gitindex
