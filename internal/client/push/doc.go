// Package push is the client side of publishing: it reads the Git LFS
// files of a commit in a local Git checkout (with go-git) and pushes the
// commit's ModelPack artifact to any OCI registry (with oras-go), taking
// the files' bytes from the checkout's .git/lfs/objects or, when they are
// not there, from a Git LFS server such as ballast.
package push
