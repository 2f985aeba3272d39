// Package publish turns the Git history ballast indexes into OCI artifacts
// in the OCI repository of the same name.
//
// For a Git tag (matching the repository's tag pattern) it publishes:
//
//   - the commit's ModelPack artifact under the OCI tag of the Git tag's
//     name (mapped to a valid OCI tag by modelpack.Tag), its layers the
//     LFS objects themselves: digest = oid, no copy;
//   - the image-compatible form under "<tag>-image", whose tar layers are
//     built with store.PutConcat so the file bytes are not stored twice;
//   - the commit's own artifact (no version) under "git-<sha12>", which
//     every published branch tip gets too.
//
// A tag whose LFS objects are not all in the repository yet is pending: it
// is reported (Pending, and the log) and published as soon as the last
// object is linked (ObjectLinked, subscribed to the store). A moved tag
// moves, a deleted tag's OCI tags are deleted.
//
// Work is idempotent and order-independent: a job names a tag or a
// commit, never a tag's old target, and re-reads the index when it runs;
// the same commit always yields the same manifests. The ModelPack tag is
// written last, so finding it at the expected digest means the whole
// publication is done, and repeating it is skipped.
package publish
