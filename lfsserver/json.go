package lfsserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// mediaType is the media type of every Git LFS API body.
// Reference: git-lfs docs/api/batch.md ("Accept: application/vnd.git-lfs+json").
const mediaType = "application/vnd.git-lfs+json"

// Body limits. A batch of 1000 objects is about 100 KiB of JSON.
const (
	maxBatchBody = 8 << 20
	maxSmallBody = 64 << 10
)

// errEmptyBody reports a request without a body.
var errEmptyBody = fmt.Errorf("%w: empty request body", errBadRequest)

// writeJSON answers with status and v as a Git LFS JSON body.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", mediaType)
	w.WriteHeader(status)
	// An encoding error here means the client went away; nothing to answer.
	_ = json.NewEncoder(w).Encode(v)
}

// limitBody returns the request body cut at limit bytes; reading more
// fails with *http.MaxBytesError, which decodeJSON reports as errTooLarge.
func limitBody(w http.ResponseWriter, r *http.Request, limit int64) io.Reader {
	return http.MaxBytesReader(w, r.Body, limit)
}

// decodeJSON decodes one JSON value from rd into v.
func decodeJSON(rd io.Reader, v any) error {
	err := json.NewDecoder(rd).Decode(v)
	if tooBig, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return fmt.Errorf("%w: body exceeds the limit of %d bytes", errTooLarge, tooBig.Limit)
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, io.EOF):
		return errEmptyBody
	}
	return fmt.Errorf("%w: malformed JSON body: %v", errBadRequest, err)
}

// checkJSONHeaders refuses a request whose Accept header excludes the Git
// LFS media type (a missing Accept header accepts anything), or whose body
// has another media type (checkContentType).
// Reference: git-lfs docs/api/batch.md ("406 - The Accept header needs to
// be application/vnd.git-lfs+json").
func checkJSONHeaders(r *http.Request) error {
	if err := checkContentType(r); err != nil {
		return err
	}
	accept := strings.Join(r.Header.Values("Accept"), ",")
	if strings.TrimSpace(accept) == "" {
		return nil
	}
	for part := range strings.SplitSeq(accept, ",") {
		mt, _, err := mime.ParseMediaType(part)
		if err != nil {
			continue
		}
		switch mt {
		case mediaType, "application/json", "application/*", "*/*":
			return nil
		}
	}
	return fmt.Errorf("%w: Accept must allow %s", errNotAcceptable, mediaType)
}

// checkContentType refuses a request body of a media type other than the
// Git LFS one (or plain application/json, which curl users send) with 415.
// A body without a Content-Type is read as JSON: some scripts omit it, and
// the body is parsed strictly anyway.
// Reference: git-lfs docs/api/batch.md ("Content-Type:
// application/vnd.git-lfs+json"); RFC 9110 §15.5.16 (415).
func checkContentType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && (mt == mediaType || mt == "application/json") {
		return nil
	}
	return fmt.Errorf("%w: Content-Type %q; send %s", errUnsupportedMedia, clip(ct), mediaType)
}
