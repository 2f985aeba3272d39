// Package gitglob matches Git's wildcard patterns: the globs of tag
// patterns, and the gitignore-style path patterns of .gitattributes files
// and of a connected repository's path filter. The server's Git indexer
// and the publish client select files with it, so both agree.
package gitglob
