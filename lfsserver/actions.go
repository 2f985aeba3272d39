package lfsserver

import (
	"math"
	"net/http"
	"time"
)

// action tells the client where and how to transfer one object.
// Reference: git-lfs docs/api/batch.md ("actions": href, header,
// expires_in, expires_at).
type action struct {
	Href      string            `json:"href"`
	Header    map[string]string `json:"header,omitempty"`
	ExpiresIn int64             `json:"expires_in"`
	ExpiresAt string            `json:"expires_at"`
}

// actions builds the actions of one batch response. Transfers go to this
// server, at the same LFS endpoint as the batch.
type actions struct {
	endpoint  string
	header    map[string]string
	expiresIn int64
	expiresAt string
}

// newActions prepares the actions for a batch on repo. The request's
// Authorization header is handed back so the client authenticates its
// transfers with the same token.
// Reference: git-lfs docs/api/basic-transfers.md ("header": {"Authorization": ...}).
func (s *server) newActions(r *http.Request, repo string) actions {
	a := actions{
		endpoint: s.endpoint(r, repo),
		// Reference: git-lfs docs/api/batch.md ("expires_in ... Maximum of
		// 2147483647"; "expires_at ... RFC 3339 ... with second precision").
		expiresIn: min(int64(s.expiry/time.Second), math.MaxInt32),
		expiresAt: time.Now().Add(s.expiry).UTC().Format(time.RFC3339),
	}
	if h := r.Header.Get("Authorization"); h != "" {
		a.header = map[string]string{"Authorization": h}
	}
	return a
}

func (a actions) at(path string) *action {
	return &action{Href: a.endpoint + path, Header: a.header, ExpiresIn: a.expiresIn, ExpiresAt: a.expiresAt}
}

// download is the download action of oid.
func (a actions) download(oid string) map[string]*action {
	return map[string]*action{opDownload: a.at("/objects/" + oid)}
}

// upload is the upload action of oid and the verify action that follows it.
// Reference: git-lfs docs/api/basic-transfers.md ("Verification").
func (a actions) upload(oid string) map[string]*action {
	return map[string]*action{
		opUpload: a.at("/objects/" + oid),
		"verify": a.at("/objects/verify"),
	}
}
