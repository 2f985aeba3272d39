// Package oci serves the OCI distribution API v1.1 ({base}/v2/…) over the
// same store and the same repository namespace as the Git LFS server: a
// file pushed with git-lfs to ml/x is blob sha256:<oid> of OCI repository
// ml/x, with no copy, and a blob pushed with an OCI client is downloadable
// through the LFS API of the same repository.
//
// Reference: https://github.com/opencontainers/distribution-spec/blob/main/spec.md
package oci
