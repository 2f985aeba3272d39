// Package oci serves the OCI distribution API v1.1 ({base}/v2/…) over the
// same store and the same repository namespace as the Git LFS server: a
// file pushed with git-lfs to ml/x is blob sha256:<oid> of OCI repository
// ml/x, with no copy, and a blob pushed with an OCI client is downloadable
// through the LFS API of the same repository.
//
// Reference: https://github.com/opencontainers/distribution-spec/blob/main/spec.md
//
// Not a library: the package is part of the ballast server. Its API takes
// the module's internal types (such as *db.DB and *auth.Identity), so code
// outside this module cannot use it; it sits at the top level of the tree
// because it is one of the product's named parts, and its exported names
// are what the server's other packages call.
package oci
