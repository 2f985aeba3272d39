// Package name validates repository names, the one namespace shared by the
// Git LFS and OCI protocols. Names are checked once, at the HTTP edge; code
// behind the edge may assume a valid name.
package name
