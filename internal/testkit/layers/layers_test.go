package layers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/ballastml/ballast"

// A layer is a set of packages, by path prefix within the module.
type layer struct {
	name     string
	prefixes []string
}

// layers, from the top. The first layer whose prefix matches a package is
// its layer; the longest prefixes come first where they overlap.
var layers = []layer{
	{"cmd", []string{"cmd/"}},
	{"tooling", []string{"internal/testkit/", "internal/bench/", "store/backendtest", "store/faulty", "store/memory"}},
	{"server", []string{"internal/server"}},
	{"client", []string{"internal/client/"}},
	{"feature", []string{"lfsserver", "oci", "internal/httpapi/", "internal/gitops/"}},
	{"store", []string{"store"}},
	{"format", []string{"internal/format/"}},
	{"platform", []string{"internal/platform/"}},
}

// mayImport says which layers each layer's (non-test) code may import.
// Test code may import any layer but the wiring above the features (cmd,
// server): a test may check one part against another (the publisher
// against the publish client, say) or use test helpers, but never needs
// the whole server.
var mayImport = map[string][]string{
	"cmd":      {"cmd", "server", "client", "feature", "store", "format", "platform"},
	"tooling":  {"tooling", "server", "client", "feature", "store", "format", "platform"},
	"server":   {"server", "feature", "store", "format", "platform"},
	"client":   {"client", "format", "platform"},
	"feature":  {"feature", "store", "format", "platform"},
	"store":    {"store", "platform"},
	"format":   {"format", "platform"},
	"platform": {"platform"},
}

// Protocol and other feature packages reach stored bytes through the
// store only, never a backend (design: "protocol packages never touch
// backend objects directly"), except the server, which picks the backend.
var backends = []string{"store/local", "store/memory", "store/faulty"}

func layerOf(pkg string) (string, bool) {
	rel := strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/")
	for _, l := range layers {
		for _, p := range l.prefixes {
			if rel == strings.TrimSuffix(p, "/") || strings.HasPrefix(rel, strings.TrimSuffix(p, "/")+"/") {
				return l.name, true
			}
		}
	}
	return "", false
}

type pkgInfo struct {
	ImportPath   string
	Error        *struct{ Err string }
	Imports      []string
	TestImports  []string
	XTestImports []string
}

func listPackages(t *testing.T) []pkgInfo {
	t.Helper()
	// -e: a package that does not load (an import cycle, which an upward
	// import often makes) is listed with its error instead of failing.
	cmd := exec.Command("go", "list", "-e", "-json", module+"/...")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkgInfo
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkgInfo
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 20 {
		t.Fatalf("go list found %d packages; the module has more", len(pkgs))
	}
	return pkgs
}

// violations returns the imports of the listed packages that go against
// the layers.
func violations(pkgs []pkgInfo) []string {
	var bad []string
	for _, p := range pkgs {
		if p.Error != nil {
			bad = append(bad, fmt.Sprintf("%s does not load: %s", p.ImportPath, p.Error.Err))
		}
		from, ok := layerOf(p.ImportPath)
		if !ok {
			bad = append(bad, fmt.Sprintf("%s is in no layer: add it to the table", p.ImportPath))
			continue
		}
		check := func(imports []string, test bool) {
			for _, imp := range imports {
				if !strings.HasPrefix(imp, module+"/") || imp == p.ImportPath {
					continue
				}
				to, ok := layerOf(imp)
				if !ok {
					bad = append(bad, fmt.Sprintf("%s imports %s, which is in no layer", p.ImportPath, imp))
					continue
				}
				allowed := contains(mayImport[from], to) ||
					(test && (contains(mayImport[from], "server") || (to != "cmd" && to != "server")))
				if !allowed {
					bad = append(bad, fmt.Sprintf("%s (%s) imports %s (%s)", p.ImportPath, from, imp, to))
				}
				if !test && from == "feature" && isBackend(imp) {
					bad = append(bad, fmt.Sprintf("%s (feature) imports the backend %s; use the store", p.ImportPath, imp))
				}
			}
		}
		check(p.Imports, false)
		check(p.TestImports, true)
		check(p.XTestImports, true)
	}
	return bad
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func isBackend(imp string) bool {
	rel := strings.TrimPrefix(imp, module+"/")
	return contains(backends, rel)
}

// TestLayers fails on any import against the dependency direction.
func TestLayers(t *testing.T) {
	for _, v := range violations(listPackages(t)) {
		t.Error(v)
	}
}

// TestLayersCatchViolations proves the check can fail: imports that go up
// a layer, skip to a backend, or leave the table are reported.
func TestLayersCatchViolations(t *testing.T) {
	pkgs := []pkgInfo{
		{ImportPath: module + "/store", Imports: []string{module + "/oci"}},
		{ImportPath: module + "/internal/platform/db", Imports: []string{module + "/store"}},
		{ImportPath: module + "/oci", Imports: []string{module + "/store/local"}},
		{ImportPath: module + "/internal/client/pin", Imports: []string{module + "/internal/gitops/gitindex"}},
		{ImportPath: module + "/internal/gitops/publish", Imports: []string{module + "/internal/server"}},
		{ImportPath: module + "/lfsserver", Imports: []string{module + "/internal/testkit/gittest"}},
		{ImportPath: module + "/store", TestImports: []string{module + "/internal/server"}},
		{ImportPath: module + "/internal/nowhere"},
	}
	if got := violations(pkgs); len(got) != len(pkgs) {
		t.Fatalf("%d violations found, want %d:\n%s", len(got), len(pkgs), strings.Join(got, "\n"))
	}
	ok := []pkgInfo{
		{ImportPath: module + "/lfsserver", Imports: []string{module + "/store", module + "/internal/platform/db"},
			TestImports: []string{module + "/store/memory", module + "/internal/testkit/gittest"}},
		{ImportPath: module + "/internal/gitops/publish", XTestImports: []string{module + "/internal/client/push"}},
		{ImportPath: module + "/internal/server", Imports: []string{module + "/store/local", module + "/oci"}},
	}
	if got := violations(ok); len(got) != 0 {
		t.Fatalf("allowed imports reported: %v", got)
	}
}
