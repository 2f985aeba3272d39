package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// maxBody bounds a request body.
const maxBody = 64 << 10

// decodeJSON decodes the request body into v: one JSON value, no unknown
// fields, nothing after it, at most maxBody bytes.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return classifyJSON(err)
	}
	switch err := dec.Decode(new(json.RawMessage)); {
	case err == io.EOF:
		return nil
	case err == nil:
		return fmt.Errorf("%w: more than one JSON value", errBadJSON)
	default:
		return classifyJSON(err)
	}
}

func classifyJSON(err error) error {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return fmt.Errorf("%w: the limit is %d bytes", errTooLarge, tooBig.Limit)
	case errors.Is(err, io.EOF):
		return fmt.Errorf("%w: empty, want a JSON object", errBadJSON)
	}
	return fmt.Errorf("%w: %v", errBadJSON, err)
}
