// Package lfspointer parses Git LFS pointer files by the git-lfs
// specification. The server's Git indexer and the publish client both read
// pointers with it.
package lfspointer
