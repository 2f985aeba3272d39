// Package benchkit holds what the benchmark programs (internal/bench/lfsbench,
// internal/bench/ocibench) share: a loopback-only environment for child
// processes, a free loopback port, the load average printed beside every
// figure, MiB/s, and NullServer, the ceiling: a Git LFS and OCI server that
// does the least work the real clients accept, so that a client timed
// against it shows its own limit.
package benchkit

import (
	"net"
	"os"
	"strings"
	"time"
)

// Environ is this process's environment without the variables that start
// with one of drop, and without proxy settings: every request of a
// benchmark goes to 127.0.0.1 directly.
func Environ(drop ...string) []string {
	drop = append(drop, "http_proxy=", "https_proxy=", "all_proxy=", "no_proxy=",
		"HTTP_PROXY=", "HTTPS_PROXY=", "ALL_PROXY=", "NO_PROXY=")
	var env []string
next:
	for _, kv := range os.Environ() {
		for _, p := range drop {
			if strings.HasPrefix(kv, p) {
				continue next
			}
		}
		env = append(env, kv)
	}
	return env
}

// FreeAddr returns a loopback address whose port was free a moment ago.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// LoadAverage is the 1, 5 and 15 minute load average, or "unknown".
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// Rate is n bytes in d, in MiB/s.
func Rate(n int64, d time.Duration) float64 {
	return float64(n) / (1 << 20) / d.Seconds()
}
