package httpx

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// Errors of DecodeJSON.
var (
	ErrBadJSON  = errors.New("bad request body")
	ErrTooLarge = errors.New("request body too large")
)

// DecodeJSON decodes the request body into v: one JSON value, no unknown
// fields, nothing after it, at most limit bytes. Errors wrap ErrBadJSON or
// ErrTooLarge.
func DecodeJSON(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return classifyJSON(err)
	}
	switch err := dec.Decode(new(json.RawMessage)); {
	case err == io.EOF:
		return nil
	case err == nil:
		return fmt.Errorf("%w: more than one JSON value", ErrBadJSON)
	default:
		return classifyJSON(err)
	}
}

func classifyJSON(err error) error {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return fmt.Errorf("%w: the limit is %d bytes", ErrTooLarge, tooBig.Limit)
	case errors.Is(err, io.EOF):
		return fmt.Errorf("%w: empty, want a JSON object", ErrBadJSON)
	}
	return fmt.Errorf("%w: %v", ErrBadJSON, err)
}
