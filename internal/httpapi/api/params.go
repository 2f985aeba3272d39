package api

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Page sizes: limit defaults to defaultLimit and is capped at maxLimit.
const (
	defaultLimit = 100
	maxLimit     = 1000
)

// page is the pagination of a list request.
type page struct {
	limit  int
	cursor string
}

// pageOf reads limit and cursor from r's query.
func pageOf(r *http.Request) (page, error) {
	q := r.URL.Query()
	p := page{limit: defaultLimit, cursor: q.Get("cursor")}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return p, fmt.Errorf("%w: limit %q must be a positive integer (at most %d)", errBadParam, s, maxLimit)
		}
		p.limit = min(n, maxLimit)
	}
	return p, nil
}

// setNext sets the Link header to the next page, if there is one.
// Reference: RFC 8288 (Web Linking).
func setNext(w http.ResponseWriter, r *http.Request, next string) {
	if next == "" {
		return
	}
	q := r.URL.Query()
	q.Set("cursor", next)
	w.Header().Set("Link", fmt.Sprintf(`<%s?%s>; rel="next"`, r.URL.EscapedPath(), q.Encode()))
}

// required returns query parameter key, which must be present.
func required(r *http.Request, key string) (string, error) {
	v := r.URL.Query().Get(key)
	if v == "" {
		return "", fmt.Errorf("%w: the query parameter %q is required", errBadParam, key)
	}
	return v, nil
}

// parseSince parses a point in time given as RFC 3339 or as a duration
// back from now ("24h"). "" is the zero time.
func parseSince(key, s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%w: %s %q must be an RFC 3339 time (2026-03-01T12:00:00Z) or a duration back from now (24h)", errBadParam, key, s)
}

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// parseDigest accepts "sha256:<64 hex>" or a bare Git LFS oid (64 hex) and
// returns the oid.
func parseDigest(s string) (string, error) {
	oid := strings.TrimPrefix(s, "sha256:")
	if !hex64.MatchString(oid) {
		return "", fmt.Errorf("%w: %q (want sha256:<64 lower-case hex digits> or a Git LFS oid)", errBadDigest, s)
	}
	return oid, nil
}

// digestOf names a Git LFS oid as a digest.
func digestOf(oid string) string {
	if strings.Contains(oid, ":") {
		return oid
	}
	return "sha256:" + oid
}
