// Command ballast is the Git-native model registry: one binary that serves
// the Git LFS and OCI protocols over one store (ballast serve) and the client
// commands that talk to a running server (ballast token, …).
package main
