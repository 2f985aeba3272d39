package pulllog

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrBadCursor: a cursor was not one a listing returned.
var ErrBadCursor = errors.New("invalid cursor")

// position is where a newest-first listing stopped: the last row's time
// (Unix nanoseconds) and its tiebreak key.
type position struct {
	ns  int64
	key string
}

func (p position) encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(p.ns, 10) + "." + p.key))
}

// decodeCursor parses a cursor; "" is the start of the listing.
func decodeCursor(s string) (*position, error) {
	if s == "" {
		return nil, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %q", ErrBadCursor, s)
	}
	ns, key, ok := strings.Cut(string(raw), ".")
	n, err := strconv.ParseInt(ns, 10, 64)
	if !ok || err != nil || key == "" {
		return nil, fmt.Errorf("%w: %q", ErrBadCursor, s)
	}
	return &position{ns: n, key: key}, nil
}
