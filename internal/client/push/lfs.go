package push

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// lfsMediaType is the media type of Git LFS batch requests and responses.
// Reference: git-lfs docs/api/batch.md.
const lfsMediaType = "application/vnd.git-lfs+json"

// LFS downloads objects from a Git LFS server with the batch API and the
// basic transfer adapter.
type LFS struct {
	// URL is the LFS endpoint, such as https://host/ml/x.git/info/lfs.
	URL string
	// Username and Password are sent as HTTP Basic credentials on the
	// batch request (and on transfers, unless the batch response gives
	// their headers).
	Username, Password string
	Client             *http.Client
}

type batchObject struct {
	OID     string                    `json:"oid"`
	Size    int64                     `json:"size"`
	Actions map[string]lfsAction      `json:"actions,omitempty"`
	Error   *struct{ Message string } `json:"error,omitempty"`
}

type lfsAction struct {
	Href   string            `json:"href"`
	Header map[string]string `json:"header"`
}

// Download returns the bytes of object oid of the given size. The caller
// verifies them (a registry does, on upload).
func (l *LFS) Download(ctx context.Context, oid string, size int64) (io.ReadCloser, error) {
	act, err := l.downloadAction(ctx, oid, size)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, act.Href, nil)
	if err != nil {
		return nil, err
	}
	for k, v := range act.Header {
		req.Header.Set(k, v)
	}
	if req.Header.Get("Authorization") == "" && l.Password != "" && sameHost(act.Href, l.URL) {
		req.SetBasicAuth(l.Username, l.Password)
	}
	resp, err := l.client().Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("lfs: download %s: %s", oid, resp.Status)
	}
	return resp.Body, nil
}

// downloadAction asks the batch API where to download oid.
func (l *LFS) downloadAction(ctx context.Context, oid string, size int64) (lfsAction, error) {
	body, _ := json.Marshal(map[string]any{
		"operation": "download", "transfers": []string{"basic"}, "hash_algo": "sha256",
		"objects": []batchObject{{OID: oid, Size: size}},
	})
	endpoint := strings.TrimSuffix(l.URL, "/") + "/objects/batch"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return lfsAction{}, err
	}
	req.Header.Set("Content-Type", lfsMediaType)
	req.Header.Set("Accept", lfsMediaType)
	if l.Password != "" {
		req.SetBasicAuth(l.Username, l.Password)
	}
	resp, err := l.client().Do(req)
	if err != nil {
		return lfsAction{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return lfsAction{}, fmt.Errorf("lfs: batch at %s: %s: %s", endpoint, resp.Status, bytes.TrimSpace(msg))
	}
	var br struct{ Objects []batchObject }
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&br); err != nil {
		return lfsAction{}, fmt.Errorf("lfs: batch response: %w", err)
	}
	if len(br.Objects) != 1 || br.Objects[0].OID != oid {
		return lfsAction{}, fmt.Errorf("lfs: batch response does not describe %s", oid)
	}
	o := br.Objects[0]
	if o.Error != nil {
		return lfsAction{}, fmt.Errorf("lfs: object %s: %s", oid, o.Error.Message)
	}
	act, ok := o.Actions["download"]
	if !ok {
		return lfsAction{}, fmt.Errorf("lfs: no download action for %s", oid)
	}
	return act, nil
}

func (l *LFS) client() *http.Client {
	if l.Client != nil {
		return l.Client
	}
	return http.DefaultClient
}

// sameHost reports whether two URLs have the same scheme and host, so
// credentials meant for one may go to the other.
func sameHost(a, b string) bool {
	ua, errA := url.Parse(a)
	ub, errB := url.Parse(b)
	return errA == nil && errB == nil && ua.Scheme == ub.Scheme && ua.Host == ub.Host
}
