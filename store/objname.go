package store

import (
	"fmt"
	"io/fs"
	"strings"
)

// maxObjectNameLength bounds a backend object name; S3 allows 1024 bytes per key.
const maxObjectNameLength = 1024

// CheckObjectName returns an error wrapping fs.ErrInvalid unless name is a
// slash-separated relative path of [a-z0-9._-] segments, none empty, "." or
// "..": the grammar of Backend object names. Backends call it on every name.
func CheckObjectName(name string) error {
	if name == "" || len(name) > maxObjectNameLength {
		return invalidObjectName(name)
	}
	for seg := range strings.SplitSeq(name, "/") {
		if !validSegment(seg) {
			return invalidObjectName(name)
		}
	}
	return nil
}

func validSegment(seg string) bool {
	if seg == "" || seg == "." || seg == ".." {
		return false
	}
	for _, c := range []byte(seg) {
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

func invalidObjectName(name string) error {
	return fmt.Errorf("%w: object name %q", fs.ErrInvalid, name)
}
