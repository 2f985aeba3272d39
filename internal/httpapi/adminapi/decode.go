package adminapi

import (
	"net/http"

	"github.com/ballastml/ballast/internal/platform/httpx"
)

// maxBody bounds a request body.
const maxBody = 64 << 10

// decodeJSON decodes the request body into v (see httpx.DecodeJSON).
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	return httpx.DecodeJSON(w, r, v, maxBody)
}
