package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

// `ballast version` and `ballast --version` print the version, and the Go
// version the binary was built with.
func TestVersion(t *testing.T) {
	want := regexp.MustCompile(`^ballast \S+(, commit [0-9a-f]{12}( of \S+)?( \(modified\))?)?, go\S+\n$`)
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, err := run(t, args...)
		if err != nil || !want.MatchString(out) {
			t.Errorf("ballast %v: %q, %v", args, out, err)
		}
	}
	out, err := run(t, "version", "--json")
	var j struct{ Version, Go string }
	if err != nil || json.Unmarshal([]byte(out), &j) != nil || j.Version == "" || !strings.HasPrefix(j.Go, "go") {
		t.Errorf("ballast version --json: %q, %v", out, err)
	}
	v := versionInfo{Version: "v1.2.3", Commit: "0123456789abcdef0123", Date: "2026-12-01T10:00:00Z", Go: "go1.26.8", Modified: true}
	if got := v.String(); got != "ballast v1.2.3, commit 0123456789ab of 2026-12-01T10:00:00Z (modified), go1.26.8" {
		t.Errorf("String() = %q", got)
	}
}

// Shell completion is cobra's: `ballast completion bash` prints a script
// that completes the commands.
func TestCompletion(t *testing.T) {
	out, err := run(t, "completion", "bash")
	if err != nil || !strings.Contains(out, "__start_ballast") {
		t.Fatalf("ballast completion bash: %v, %.200q", err, out)
	}
}
