package lfsserver

import (
	"fmt"

	"github.com/opencontainers/go-digest"
)

// oidLen is the length of a sha256 object id in hex.
const oidLen = 64

// parseOid validates a Git LFS object id, the sha256 of the object as 64
// lower-case hex digits, and returns it as a digest.
// Reference: git-lfs docs/spec.md (pointer "oid sha256:<hex>"),
// git-lfs docs/api/batch.md ("422 - Validation error").
func parseOid(oid string) (digest.Digest, error) {
	if len(oid) != oidLen || !isLowerHex(oid) {
		return "", fmt.Errorf("%w: oid %q is not a sha256: want %d lower-case hex digits",
			errValidation, clip(oid), oidLen)
	}
	return digest.NewDigestFromEncoded(digest.SHA256, oid), nil
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// clip shortens client-supplied text quoted in an error message.
func clip(s string) string {
	const limit = 80
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "..."
}
