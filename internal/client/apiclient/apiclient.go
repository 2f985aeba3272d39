// Package apiclient calls ballast's JSON API (/api/v1) for the command
// line: JSON in and out, the token as a Bearer credential, and error
// answers turned into errors carrying the server's message.
package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ballastml/ballast/internal/platform/httpx"
)

// Errors of New.
var (
	ErrNoServer = errors.New("no server given: pass --server URL or set BALLAST_URL")
	ErrNoToken  = errors.New("no token given: pass --token or set BALLAST_TOKEN")
)

// maxResponse bounds how much of a server response the client reads.
const maxResponse = 32 << 20

// New returns a client of the server at base (an http or https URL)
// sending token.
func New(base, token string) (*Client, error) {
	if base == "" {
		return nil, ErrNoServer
	}
	if token == "" {
		return nil, ErrNoToken
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server %q: want an http:// or https:// URL", base)
	}
	return &Client{
		base:  strings.TrimSuffix(base, "/"),
		token: token,
		http:  &http.Client{Timeout: time.Minute},
	}, nil
}

// Client calls ballast's JSON API.
type Client struct {
	base  string
	token string
	http  *http.Client
}

// Do sends in (if non-nil) as JSON and decodes a successful response into
// out (if non-nil). An error response becomes an error carrying the
// server's message.
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	req, err := c.newRequest(ctx, method, path, in)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return c.unreachable(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return apiError(resp)
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxResponse)).Decode(out); err != nil {
		return fmt.Errorf("%s %s: bad response: %w", method, path, err)
	}
	return nil
}

func (c *Client) newRequest(ctx context.Context, method, path string, in any) (*http.Request, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	return req, nil
}

// unreachable explains a request that got no answer.
func (c *Client) unreachable(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return fmt.Errorf("cannot reach ballast at %s: %v (is `ballast serve` running there? the URL comes from --server or BALLAST_URL)", c.base, op.Err)
	}
	return err
}

// apiError turns an error response into a readable error, using the
// message of a JSON error body when there is one.
func apiError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var e httpx.ErrorBody
	if json.Unmarshal(b, &e) == nil && e.Error.Message != "" {
		if resp.StatusCode == http.StatusUnauthorized {
			return fmt.Errorf("server: %s (%s): check the token given with --token or BALLAST_TOKEN", e.Error.Message, resp.Status)
		}
		return fmt.Errorf("server: %s (%s)", e.Error.Message, resp.Status)
	}
	text := strings.TrimSpace(string(b))
	if len(text) > 200 {
		text = text[:200] + "…"
	}
	return fmt.Errorf("server answered %s: %s", resp.Status, text)
}

// NoTimeout lets calls take as long as the server needs (a compaction);
// only their context ends them.
func (c *Client) NoTimeout() { c.http.Timeout = 0 }

// Check makes an authenticated request that any valid token may make
// (GET /v2/) and reports the server's answer.
func (c *Client) Check(ctx context.Context) error {
	return c.Do(ctx, http.MethodGet, "/v2/", nil, nil)
}
