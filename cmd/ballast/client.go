package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ballastml/ballast/internal/platform/httpx"
)

var (
	errNoServer = errors.New("no server given: pass --server URL or set BALLAST_URL")
	errNoToken  = errors.New("no token given: pass --token or set BALLAST_TOKEN")
)

// maxResponse bounds how much of a server response the client reads.
const maxResponse = 32 << 20

// clientFlags are the flags of commands that talk to a running server.
// Flag defaults stay empty and the environment is read at run time, so
// --help never prints a token.
type clientFlags struct {
	server string
	token  string
}

func (f *clientFlags) register(cmd *cobra.Command) {
	fl := cmd.PersistentFlags()
	fl.StringVar(&f.server, "server", "", "ballast server URL (default $BALLAST_URL)")
	fl.StringVar(&f.token, "token", "", "access token (default $BALLAST_TOKEN)")
}

// client returns an API client for the flags, falling back to the
// environment.
func (f *clientFlags) client() (*client, error) {
	server := cmp.Or(f.server, os.Getenv("BALLAST_URL"))
	token := cmp.Or(f.token, os.Getenv("BALLAST_TOKEN"))
	if server == "" {
		return nil, errNoServer
	}
	if token == "" {
		return nil, errNoToken
	}
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server %q: want an http:// or https:// URL", server)
	}
	return &client{
		base:  strings.TrimSuffix(server, "/"),
		token: token,
		http:  &http.Client{Timeout: time.Minute},
	}, nil
}

// client calls ballast's JSON API.
type client struct {
	base  string
	token string
	http  *http.Client
}

// do sends in (if non-nil) as JSON and decodes a successful response into
// out (if non-nil). An error response becomes an error carrying the
// server's message.
func (c *client) do(ctx context.Context, method, path string, in, out any) error {
	req, err := c.newRequest(ctx, method, path, in)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
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

func (c *client) newRequest(ctx context.Context, method, path string, in any) (*http.Request, error) {
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

// apiError turns an error response into a readable error, using the
// message of a JSON error body when there is one.
func apiError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var e httpx.ErrorBody
	if json.Unmarshal(b, &e) == nil && e.Error.Message != "" {
		return fmt.Errorf("server: %s (%s)", e.Error.Message, resp.Status)
	}
	text := strings.TrimSpace(string(b))
	if len(text) > 200 {
		text = text[:200] + "…"
	}
	return fmt.Errorf("server answered %s: %s", resp.Status, text)
}
