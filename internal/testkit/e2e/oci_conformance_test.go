package e2e

import (
	"context"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// conformanceEnv configures the OCI distribution-spec conformance suite
// (its README and config.go name the variables) with every API and every
// kind of test data enabled, optional ones included. OCI_DATA_SPARSE is
// left to the caller: only a server that accepts sparse manifests passes it.
var conformanceEnv = []string{
	"OCI_VERSION=1.1",
	"OCI_TLS=disabled",
	"OCI_REPO1=ml/conformance/repo1",
	"OCI_REPO2=ml/conformance/repo2",
	"OCI_CACHE_AUTH=true",
	"OCI_LOG=warn",

	"OCI_API_PING=true",
	"OCI_API_PULL=true",
	"OCI_API_PUSH=true",
	"OCI_API_BLOBS_ATOMIC=true",
	"OCI_API_BLOBS_DELETE=true",
	"OCI_API_BLOBS_DIGEST_HEADER=true",
	"OCI_API_BLOBS_MOUNT_ANONYMOUS=true",
	"OCI_API_BLOBS_UPLOAD_CANCEL=true",
	"OCI_API_MANIFESTS_ATOMIC=true",
	"OCI_API_MANIFESTS_DELETE=true",
	"OCI_API_MANIFESTS_DIGEST_HEADER=true",
	"OCI_API_MANIFESTS_TAG_PARAM=true",
	"OCI_API_TAGS_ATOMIC=true",
	"OCI_API_TAGS_DELETE=true",
	"OCI_API_TAGS_LIST=true",
	"OCI_API_REFERRER=true",

	"OCI_DATA_IMAGE=true",
	"OCI_DATA_INDEX=true",
	"OCI_DATA_INDEX_LIST=true",
	"OCI_DATA_ARTIFACT=true",
	"OCI_DATA_SUBJECT=true",
	"OCI_DATA_SUBJECT_MISSING=true",
	"OCI_DATA_ARTIFACT_LIST=true",
	"OCI_DATA_SUBJECT_LIST=true",
	"OCI_DATA_DATA_FIELD=true",
	"OCI_DATA_NONDISTRIBUTABLE=true",
	"OCI_DATA_CUSTOM_FIELDS=true",
	"OCI_DATA_NO_LAYERS=true",
	"OCI_DATA_EMPTY_BLOB=true",
	"OCI_DATA_SHA512=true",
}

// TestOCIConformance runs the conformance suite against a server with
// auth on, in the default mode: a manifest must reference blobs that exist.
func TestOCIConformance(t *testing.T) {
	runConformance(t, nil, "OCI_DATA_SPARSE=false")
}

// TestOCIConformanceSparse runs it against a server started with
// --allow-sparse-manifests, with the sparse manifests test data as well.
func TestOCIConformanceSparse(t *testing.T) {
	runConformance(t, []string{"--allow-sparse-manifests"}, "OCI_DATA_SPARSE=true")
}

// runConformance starts a server with serverArgs, runs oci-conformance
// against it with a token holding admin on ml/conformance/*, and requires
// every test of the suite to pass: no failure, no error, no skip and
// nothing disabled.
func runConformance(t *testing.T, serverArgs []string, sparse string) {
	requireTools(t, "oci-conformance")
	s := startServer(t, serverArgs...)
	token := s.createToken(t, "conformance", "ml/conformance/*:admin")
	results := t.TempDir()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "oci-conformance")
	// It reads ./oci-conformance.yaml when there is one: run it where
	// there is none.
	cmd.Dir = t.TempDir()
	cmd.Env = append(environ("OCI_"), conformanceEnv...)
	cmd.Env = append(cmd.Env, sparse,
		"OCI_REGISTRY="+s.addr,
		"OCI_USERNAME=conformance",
		"OCI_PASSWORD="+token,
		"OCI_RESULTS_DIR="+results,
	)
	out, runErr := cmd.CombinedOutput()

	report, err := readJUnit(filepath.Join(results, "junit.xml"))
	if err != nil {
		t.Fatalf("oci-conformance (%v) wrote no readable report: %v\n%s", runErr, err, out)
	}
	c := report.counts()
	t.Logf("oci-conformance (%s): %s", sparse, c)
	if c.failed+c.errors+c.skipped+c.disabled > 0 || c.passed == 0 || runErr != nil {
		t.Errorf("oci-conformance (%s): %s (exit: %v); want every test to pass", sparse, c, runErr)
		for _, tc := range report.cases() {
			if tc.Status != "passed" {
				t.Errorf("%s: %s\n  %s", tc.Status, tc.Name, indent(tc.SystemOut+tc.SystemErr, 4000))
			}
		}
		t.Logf("oci-conformance output, without the lines of passed tests:\n%s", withoutPassed(string(out)))
	}
}

// withoutPassed drops the lines of the suite's result tree that end in
// ": Pass".
func withoutPassed(out string) string {
	var b strings.Builder
	for line := range strings.Lines(out) {
		if !strings.HasSuffix(strings.TrimRight(line, "\n"), ": Pass") {
			b.WriteString(line)
		}
	}
	return b.String()
}

// junitReport is the junit.xml the suite writes (its junit.go).
type junitReport struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
	Skipped  int `xml:"skipped,attr"`
	Disabled int `xml:"disabled,attr"`
	Suites   []struct {
		Cases []junitCase `xml:"testcase"`
	} `xml:"testsuite"`
}

type junitCase struct {
	Name      string `xml:"name,attr"`
	Status    string `xml:"status,attr"` // passed, skipped, failure or error
	SystemOut string `xml:"system-out"`
	SystemErr string `xml:"system-err"`
}

func readJUnit(path string) (*junitReport, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r junitReport
	if err := xml.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &r, nil
}

func (r *junitReport) cases() []junitCase {
	var all []junitCase
	for _, s := range r.Suites {
		all = append(all, s.Cases...)
	}
	return all
}

type conformanceCounts struct {
	total, passed, failed, errors, skipped, disabled int
}

func (c conformanceCounts) String() string {
	return fmt.Sprintf("%d tests: %d passed, %d failed, %d errors, %d skipped, %d disabled",
		c.total, c.passed, c.failed, c.errors, c.skipped, c.disabled)
}

// counts are the totals of the report's header, which count checks where
// the test cases count tests (one test case may hold several checks).
func (r *junitReport) counts() conformanceCounts {
	return conformanceCounts{
		total: r.Tests, failed: r.Failures, errors: r.Errors, skipped: r.Skipped, disabled: r.Disabled,
		passed: r.Tests - r.Failures - r.Errors - r.Skipped - r.Disabled,
	}
}

// indent shortens s to at most max bytes and indents its lines.
func indent(s string, max int) string {
	s = strings.TrimSpace(s)
	if len(s) > max {
		s = s[:max] + " …"
	}
	return strings.ReplaceAll(s, "\n", "\n  ")
}
