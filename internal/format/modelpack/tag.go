package modelpack

import (
	"crypto/sha256"
	"encoding/hex"
)

// MaxTagLength is the longest OCI tag.
// Reference: distribution-spec, tag grammar [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}.
const MaxTagLength = 128

// Tag maps a Git tag name to the OCI tag it is published as, with suffix
// (such as "-image", or "") appended. Characters an OCI tag cannot hold
// become '-' ('_' in first place, where '-' and '.' are not allowed), so
// "release/v1.0" is "release-v1.0". A result longer than MaxTagLength is
// cut and ends in '-' and 8 hex digits of the sha256 of the Git tag name,
// which keeps distinct long names distinct. A valid tag maps to itself.
func Tag(gitTag, suffix string) string {
	b := []byte(gitTag)
	for i, c := range b {
		if !tagChar(c, i == 0) {
			b[i] = '-'
			if i == 0 {
				b[i] = '_'
			}
		}
	}
	if len(b) == 0 {
		b = []byte("_")
	}
	t := string(b) + suffix
	if len(t) <= MaxTagLength {
		return t
	}
	sum := sha256.Sum256([]byte(gitTag))
	hash := "-" + hex.EncodeToString(sum[:4])
	keep := MaxTagLength - len(hash) - len(suffix)
	return string(b[:keep]) + hash + suffix
}

func tagChar(c byte, first bool) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_':
		return true
	case c == '.' || c == '-':
		return !first
	}
	return false
}

// CommitTag is the OCI tag of a commit's artifact: "git-" and the first 12
// hex digits of its SHA.
func CommitTag(sha string) string {
	if len(sha) > 12 {
		sha = sha[:12]
	}
	return "git-" + sha
}
