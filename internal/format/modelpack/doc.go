// Package modelpack builds the OCI artifacts ballast publishes for a Git
// commit: pure functions from a file list and its metadata to manifest and
// config bytes, so the server and the `ballast publish` command produce
// byte-identical artifacts for the same commit.
//
// Two forms are built:
//
//   - a CNCF ModelPack artifact (ModelPack): an OCI image manifest whose
//     artifactType is application/vnd.cncf.model.manifest.v1+json and whose
//     layers are the files themselves as ".raw" layers, so a layer digest is
//     the file's Git LFS oid and the stored LFS object is served with no copy;
//   - an image-compatible form (Image) for containerd image volumes: an OCI
//     image whose layers are uncompressed tars, one per file, each placing
//     its file at /models/<path>. A tar layer is a header (TarLayer.Header),
//     the file's bytes, and padding (TarLayer.Trailer), so a store can build
//     it by concatenation without copying the file.
//
// Both are deterministic: files are sorted by path, JSON has a fixed field
// order, times come from the commit (never the clock), so publishing the
// same commit again yields the same digests.
//
// Reference: https://github.com/modelpack/model-spec (docs/spec.md,
// docs/config.md, docs/annotations.md).
package modelpack
