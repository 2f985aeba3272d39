package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDefaultsValidate(t *testing.T) {
	c := Defaults()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.PublicURL != "http://127.0.0.1:8080" {
		t.Errorf("public URL %q", c.PublicURL)
	}
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ballast.json")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadFile(t *testing.T) {
	c := Defaults()
	err := c.LoadFile(writeFile(t, `{"addr": "0.0.0.0:9000", "reap_interval": "90s",
		"git_poll_interval": "1h30m", "anonymous_read": true, "allow_sparse_manifests": true}`))
	if err != nil {
		t.Fatal(err)
	}
	want := Defaults()
	want.Addr = "0.0.0.0:9000"
	want.ReapInterval = Duration{90 * time.Second}
	want.GitPollInterval = Duration{90 * time.Minute}
	want.AnonymousRead, want.AllowSparseManifests = true, true
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("got %+v\nwant %+v", c, want)
	}
}

func TestLoadFileErrors(t *testing.T) {
	for body, want := range map[string]string{
		`{"adr": "x"}`:              "unknown field",
		`{"reap_interval": 600}`:    `want a string such as "10m"`,
		`{"reap_interval": "ten"}`:  "invalid duration",
		`{"addr": `:                 "unexpected EOF",
		`{"upload_memory": "lots"}`: "want a number of bytes",
	} {
		c := Defaults()
		err := c.LoadFile(writeFile(t, body))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want an error containing %q", body, err, want)
		}
	}
	c := Defaults()
	if err := c.LoadFile(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("a missing file loaded")
	}
}

// TestAWSEnvironment: AWS_ENDPOINT_URL_S3 and AWS_REGION fill the S3
// settings ours leave unset, and ours win when set.
func TestAWSEnvironment(t *testing.T) {
	env := map[string]string{"AWS_ENDPOINT_URL": "http://general:1", "AWS_ENDPOINT_URL_S3": "http://s3:2", "AWS_DEFAULT_REGION": "r1"}
	c := Defaults()
	if err := c.LoadEnv(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if c.S3Endpoint != "http://s3:2" || c.S3Region != "r1" {
		t.Errorf("from the AWS variables: endpoint %q, region %q", c.S3Endpoint, c.S3Region)
	}
	env["BALLAST_S3_ENDPOINT"], env["BALLAST_S3_REGION"], env["AWS_REGION"] = "http://ours:3", "r3", "r2"
	c = Defaults()
	if err := c.LoadEnv(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if c.S3Endpoint != "http://ours:3" || c.S3Region != "r3" {
		t.Errorf("with ours set too: endpoint %q, region %q", c.S3Endpoint, c.S3Region)
	}
}

// TestLoadEnvEverySetting sets every variable Env names and checks that
// each one reaches the configuration.
func TestLoadEnvEverySetting(t *testing.T) {
	values := map[string]string{
		"BALLAST_ADDR": "0.0.0.0:1", "BALLAST_DATA": "/d", "BALLAST_PUBLIC_URL": "https://r.example",
		"BALLAST_ANONYMOUS_READ": "true", "BALLAST_CREATE_REPOS": "never",
		"BALLAST_DB": "postgres://b@db/b", "BALLAST_STORE": "s3://models/x", "BALLAST_S3_ENDPOINT": "http://127.0.0.1:9000", "BALLAST_S3_REGION": "eu-west-1", "BALLAST_S3_PATH_STYLE": "true", "BALLAST_S3_CA_FILE": "/ca.pem", "BALLAST_LOG_LEVEL": "debug", "BALLAST_LOG_FORMAT": "json",
		"BALLAST_REAP_INTERVAL": "1m", "BALLAST_GIT_POLL_INTERVAL": "2m", "BALLAST_GC_GRACE": "3h", "BALLAST_JOB_LEASE": "9s", "BALLAST_PULL_LOG_RETENTION": "720h", "BALLAST_GIT_ALLOW_LOOPBACK": "true",
		"BALLAST_DEBUG_ADDR": "127.0.0.1:6060", "BALLAST_METRICS_ADDR": "127.0.0.1:9090", "BALLAST_ALLOW_SPARSE_MANIFESTS": "1",
		"BALLAST_INLINE_DEDUP": "true", "BALLAST_UPLOAD_STALL_TIMEOUT": "5s", "BALLAST_UPLOAD_MEMORY": "512MB", "BALLAST_GIT_ALLOW_ADDRS": "10.0.0.5,192.168.0.0/16",
	}
	for key, env := range Env {
		if _, ok := values[env]; !ok {
			t.Errorf("setting %s (%s) has no value in this test", key, env)
		}
	}
	c := Defaults()
	if err := c.LoadEnv(func(k string) string { return values[k] }); err != nil {
		t.Fatal(err)
	}
	want := Serve{
		Addr: "0.0.0.0:1", Data: "/d", PublicURL: "https://r.example", AnonymousRead: true, CreateRepos: "never",
		DB: "postgres://b@db/b", Store: "s3://models/x", S3Endpoint: "http://127.0.0.1:9000", S3Region: "eu-west-1", S3PathStyle: true, S3CAFile: "/ca.pem",
		LogLevel: "debug", LogFormat: "json", ReapInterval: Duration{time.Minute},
		GitPollInterval: Duration{2 * time.Minute}, GCGrace: Duration{3 * time.Hour}, JobLease: Duration{9 * time.Second}, PullLogRetention: Duration{720 * time.Hour}, GitAllowLoopback: true, DebugAddr: "127.0.0.1:6060", MetricsAddr: "127.0.0.1:9090", AllowSparseManifests: true,
		InlineDedup: true, UploadStallTimeout: Duration{5 * time.Second}, UploadMemory: Size(512e6), GitAllowAddrs: []string{"10.0.0.5", "192.168.0.0/16"},
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("got %+v\nwant %+v", c, want)
	}
}

func TestLoadEnvErrors(t *testing.T) {
	for env, v := range map[string]string{
		"BALLAST_ANONYMOUS_READ":    "yes please",
		"BALLAST_GIT_POLL_INTERVAL": "soon",
	} {
		c := Defaults()
		err := c.LoadEnv(func(k string) string {
			if k == env {
				return v
			}
			return ""
		})
		if err == nil || !strings.Contains(err.Error(), env) {
			t.Errorf("%s=%q: got %v, want an error naming the variable", env, v, err)
		}
	}
}

func TestValidateErrors(t *testing.T) {
	for name, mutate := range map[string]func(*Serve){
		"empty addr":     func(c *Serve) { c.Addr = "" },
		"empty data":     func(c *Serve) { c.Data = "" },
		"ftp public url": func(c *Serve) { c.PublicURL = "ftp://x" },
		"no host":        func(c *Serve) { c.PublicURL = "http://" },
		"log format":     func(c *Serve) { c.LogFormat = "xml" },
		"zero reap":      func(c *Serve) { c.ReapInterval = Duration{} },
		"negative poll":  func(c *Serve) { c.GitPollInterval = Duration{-time.Second} },
		"negative grace": func(c *Serve) { c.GCGrace = Duration{-time.Second} },
	} {
		c := Defaults()
		mutate(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	c := Defaults()
	c.PublicURL = "https://models.example/ballast/"
	if err := c.Validate(); err != nil || c.PublicURL != "https://models.example/ballast" {
		t.Errorf("trailing slash: %v, %q", err, c.PublicURL)
	}
}

// FuzzDurationJSON: any JSON value either decodes to a duration that
// encodes back to a string decoding to the same duration, or is an error.
func FuzzDurationJSON(f *testing.F) {
	for _, s := range []string{`"10m"`, `"1h30m"`, `"0s"`, `600`, `"-5s"`, `null`, `"1e3h"`, `{}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var d Duration
		if err := d.UnmarshalJSON(b); err != nil {
			return
		}
		enc, err := d.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON(%v): %v", d, err)
		}
		var back Duration
		if err := back.UnmarshalJSON(enc); err != nil || back != d {
			t.Fatalf("%s decoded to %v, encoded as %s, decoded again to %v (%v)", b, d, enc, back, err)
		}
	})
}

// FuzzSizeJSON: any JSON value either decodes to a size that encodes back
// to a string decoding to the same size, or is an error.
func FuzzSizeJSON(f *testing.F) {
	for _, s := range []string{`"256MiB"`, `"1GiB"`, `"512MB"`, `1048576`, `"1.5 GiB"`, `"-1"`, `"lots"`, `null`, `"99999999999999999999"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var z Size
		if err := z.UnmarshalJSON(b); err != nil {
			return
		}
		if z < 0 {
			t.Fatalf("%s decoded to a negative size %d", b, z)
		}
		enc, err := z.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON(%d): %v", z, err)
		}
		var back Size
		if err := back.UnmarshalJSON(enc); err != nil || back != z {
			t.Fatalf("%s decoded to %d, encoded as %s, decoded again to %d (%v)", b, z, enc, back, err)
		}
	})
}

func TestValidateUploadAndGitSettings(t *testing.T) {
	for name, set := range map[string]func(*Serve){
		"upload memory too small": func(c *Serve) { c.UploadMemory = 1 << 20 },
		"negative stall timeout":  func(c *Serve) { c.UploadStallTimeout = Duration{-time.Second} },
		"bad allowed address":     func(c *Serve) { c.GitAllowAddrs = []string{"10.0.0.300"} },
		"bad allowed network":     func(c *Serve) { c.GitAllowAddrs = []string{"10.0.0.0/33"} },
	} {
		c := Defaults()
		set(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: validated", name)
		}
	}
	c := Defaults()
	c.GitAllowAddrs = []string{"10.0.0.5", " 192.168.1.0/24 ", "::ffff:10.1.1.1", "2001:db8::/32", ""}
	got, err := c.GitAllowPrefixes()
	want := []string{"10.0.0.5/32", "192.168.1.0/24", "10.1.1.1/32", "2001:db8::/32"}
	if err != nil || len(got) != len(want) {
		t.Fatalf("GitAllowPrefixes = %v, %v", got, err)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("prefix %d = %s, want %s", i, got[i], want[i])
		}
	}
}
