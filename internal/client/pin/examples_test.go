package pin_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/ballastml/ballast/internal/client/pin"
)

// TestExamples checks the files in docs/examples: every one is valid YAML,
// and in the Kubernetes manifests pin finds the model references pinned
// and flags exactly the references that are not.
func TestExamples(t *testing.T) {
	const dir = "../../../docs/examples"
	manifests, _ := filepath.Glob(filepath.Join(dir, "k8s", "*.yaml"))
	workflows, _ := filepath.Glob(filepath.Join(dir, "*.yml"))
	if len(manifests) == 0 || len(workflows) == 0 {
		t.Fatal("no examples found")
	}
	for _, file := range workflows {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := yaml.Unmarshal(src, &doc); err != nil || doc["jobs"] == nil {
			t.Errorf("%s: not a valid workflow: %v", file, err)
		}
	}
	p := &pin.Pinner{}
	for _, file := range manifests {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		sites, err := pin.Scan(src)
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		unpinned, model := map[int]bool{}, false
		for _, s := range sites {
			if s.Err != nil {
				t.Errorf("%s:%d: %v", file, s.Line, s.Err)
			}
			if !s.Ref.Pinned() {
				unpinned[s.Line] = true
			}
			model = model || (s.Ref.Pinned() && s.Ref.Name == "registry.example.com/ml/cat-classifier")
		}
		if !model {
			t.Errorf("%s: no pinned model reference found", file)
		}
		probs := p.Check(context.Background(), file, src)
		if len(probs) != len(unpinned) {
			t.Errorf("%s: Check flagged %v, want lines %v", file, probs, unpinned)
		}
		for _, pr := range probs {
			if !unpinned[pr.Line] {
				t.Errorf("%s: Check flagged %v", file, pr)
			}
		}
	}
}
