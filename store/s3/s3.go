package s3

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/ballastml/ballast/store"
)

// Config says where the objects are and how to reach them. Credentials
// are not in it: they come from the environment (AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY, or MINIO_ROOT_USER/MINIO_ROOT_PASSWORD), the
// shared credentials file (AWS_SHARED_CREDENTIALS_FILE, AWS_PROFILE), or
// IAM (an EC2 instance role, ECS, or EKS IRSA's web identity), tried in
// that order.
type Config struct {
	Bucket string
	Prefix string // object names are Prefix + "/" + name; "" for the bucket root
	// Endpoint is an http(s):// URL, or host[:port] for https. Empty:
	// AWS S3 (s3.amazonaws.com).
	Endpoint string
	Region   string // empty: us-east-1, or what the bucket says
	// PathStyle addresses the bucket in the path (endpoint/bucket/key), as
	// MinIO and most self-hosted stores need; false lets the client choose
	// (virtual-host style on AWS).
	PathStyle bool
	// CAFile is a PEM file of CA certificates to trust for the endpoint,
	// in addition to the system's.
	CAFile string
}

// Backend is a store.Backend on one bucket and prefix.
type Backend struct {
	client *minio.Client
	core   minio.Core
	put    minio.Core // for requests with a body, without minio-go's retries
	cfg    Config
	prefix string // "" or ending in "/"
}

var (
	_ store.Backend = (*Backend)(nil)
	_ store.Reaper  = (*Backend)(nil)
)

// ParseURL parses s3://BUCKET[/PREFIX] into the bucket and prefix.
func ParseURL(raw string) (bucket, prefix string, err error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "s3" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", "", fmt.Errorf("store URL %q: want s3://BUCKET or s3://BUCKET/PREFIX", raw)
	}
	prefix = strings.Trim(u.Path, "/")
	if prefix != "" {
		if err := store.CheckObjectName(prefix); err != nil {
			return "", "", fmt.Errorf("store URL %q: the prefix may hold only [a-z0-9._-] segments separated by /", raw)
		}
	}
	return u.Host, prefix, nil
}

// New returns the backend cfg describes. It does not contact the server;
// Check does.
func New(cfg Config) (*Backend, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("s3 backend: no bucket")
	}
	endpoint, secure, err := endpointOf(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	transport, err := newTransport(cfg.CAFile)
	if err != nil {
		return nil, err
	}
	lookup := minio.BucketLookupAuto
	if cfg.PathStyle {
		lookup = minio.BucketLookupPath
	}
	opts := &minio.Options{
		Creds:        credentialChain(),
		Secure:       secure,
		Region:       cfg.Region,
		BucketLookup: lookup,
		Transport:    transport,
	}
	client, err := minio.New(endpoint, opts)
	if err != nil {
		return nil, fmt.Errorf("s3 backend: %w", err)
	}
	// Requests with a body retry in sendRetrying, each attempt with a
	// reader of its own: minio-go's retries seek the one reader while the
	// transport may still be reading it for the attempt that failed (a
	// data race the race detector finds under connection resets).
	noRetry := *opts
	noRetry.MaxRetries = 1
	putClient, err := minio.New(endpoint, &noRetry)
	if err != nil {
		return nil, fmt.Errorf("s3 backend: %w", err)
	}
	b := &Backend{client: client, core: minio.Core{Client: client}, put: minio.Core{Client: putClient}, cfg: cfg}
	if cfg.Prefix != "" {
		b.prefix = strings.Trim(cfg.Prefix, "/") + "/"
	}
	return b, nil
}

// String names the backend for logs: s3://bucket/prefix at the endpoint.
func (b *Backend) String() string {
	return fmt.Sprintf("s3://%s/%s (%s)", b.cfg.Bucket, strings.TrimSuffix(b.prefix, "/"), b.client.EndpointURL().Host)
}

func endpointOf(raw string) (host string, secure bool, err error) {
	if raw == "" {
		return "s3.amazonaws.com", true, nil
	}
	if !strings.Contains(raw, "://") {
		return raw, true, nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return "", false, fmt.Errorf("s3 endpoint %q: want http(s)://host[:port]", raw)
	}
	return u.Host, u.Scheme == "https", nil
}

// credentialChain is the usual AWS order: environment, the shared
// credentials file, then IAM (instance role, ECS, or IRSA web identity).
func credentialChain() *credentials.Credentials {
	return credentials.NewChainCredentials([]credentials.Provider{
		&credentials.EnvAWS{},
		&credentials.EnvMinio{},
		&credentials.FileAWSCredentials{},
		&credentials.IAM{Client: &http.Client{Transport: http.DefaultTransport, Timeout: 10 * time.Second}},
	})
}

// Timeouts of every request. A response body may take as long as it
// takes; a server that stops sending is cut off by the idle read deadline
// of the callers' own copying (and by TCP keep-alives).
const (
	dialTimeout           = 10 * time.Second
	tlsTimeout            = 10 * time.Second
	responseHeaderTimeout = 60 * time.Second
)

func newTransport(caFile string) (*http.Transport, error) {
	t := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   tlsTimeout,
		ResponseHeaderTimeout: responseHeaderTimeout,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   64,
		// Bodies are compressed chunks or verified bytes: never ask the
		// server to gzip them, so a Range stays a byte range.
		DisableCompression: true,
	}
	if caFile == "" {
		return t, nil
	}
	pem, err := os.ReadFile(filepath.Clean(caFile))
	if err != nil {
		return nil, fmt.Errorf("s3 CA file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("s3 CA file %s holds no PEM certificate", caFile)
	}
	t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return t, nil
}

// key returns the S3 key of a valid object name.
func (b *Backend) key(name string) (string, error) {
	if err := store.CheckObjectName(name); err != nil {
		return "", err
	}
	return b.prefix + name, nil
}

// Check contacts the server and makes sure the bucket exists and the
// credentials may use it, with a message that says what to fix if not.
func (b *Backend) Check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ok, err := b.client.BucketExists(ctx, b.cfg.Bucket)
	if err == nil && !ok {
		return fmt.Errorf("s3 bucket %q does not exist at %s: create it (for example mc mb or aws s3 mb), or fix --store", b.cfg.Bucket, b.client.EndpointURL())
	}
	if err == nil {
		// BucketExists can succeed where listing is refused; the store
		// lists, so try it.
		for obj := range b.client.ListObjects(ctx, b.cfg.Bucket, minio.ListObjectsOptions{Prefix: b.prefix, MaxKeys: 1}) {
			err = obj.Err
			break
		}
	}
	if err != nil {
		return fmt.Errorf("s3 bucket %q at %s: %w", b.cfg.Bucket, b.client.EndpointURL(), explain(err))
	}
	return nil
}

// explain adds what to fix to the S3 errors a misconfiguration gives.
func explain(err error) error {
	resp := minio.ToErrorResponse(err)
	hint := ""
	switch resp.Code {
	case "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "InvalidToken", "ExpiredToken":
		hint = "check the credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, the shared credentials file, or the IAM role) and that they may read and write the bucket"
	case "RequestTimeTooSkewed":
		hint = "this machine's clock is too far from the server's; synchronise it (NTP)"
	case "AuthorizationHeaderMalformed", "PermanentRedirect", "IllegalLocationConstraintException":
		hint = "the bucket is in another region: set AWS_REGION (or --s3-region) to the bucket's region" + regionOf(resp)
	case "NoSuchBucket":
		hint = "create the bucket, or fix --store"
	}
	if hint == "" {
		var nerr net.Error
		if errors.As(err, &nerr) || errors.Is(err, context.DeadlineExceeded) {
			hint = "check --s3-endpoint and that the server is up"
		}
	}
	if hint == "" {
		return err
	}
	return fmt.Errorf("%w (%s)", err, hint)
}

func regionOf(resp minio.ErrorResponse) string {
	if resp.Region != "" {
		return " (" + resp.Region + ")"
	}
	return ""
}
