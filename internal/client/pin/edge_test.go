package pin_test

import (
	"context"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/ballastml/ballast/internal/client/pin"
)

// fakeResolver resolves every reference, without a network, to a digest
// made from its repository and tag.
type fakeResolver struct{}

func (fakeResolver) Resolve(_ context.Context, ref pin.Ref) (digest.Digest, error) {
	return fakeDigest(ref), nil
}

func fakeDigest(ref pin.Ref) digest.Digest {
	if ref.Tag == "" && ref.Pinned() {
		return ref.Digest
	}
	return digest.FromString(ref.Repository() + ":" + ref.Query())
}

// D is the digest fakeResolver gives registry.example.com/ml/x:v1.
var D = digest.FromString("registry.example.com/ml/x:v1").String()

func TestEdgeCases(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string // want "" means: left unchanged with a problem
	}{
		{"byte order mark", "\uFEFFimage: registry.example.com/ml/x:v1\n",
			"\uFEFFimage: registry.example.com/ml/x:v1@" + D + "\n"},
		{"NEL line breaks", "a: 1\u0085image: registry.example.com/ml/x:v1\u0085",
			"a: 1\u0085image: registry.example.com/ml/x:v1@" + D + "\u0085"},
		{"no final newline", "helm:\n  image:\n    repository: registry.example.com/ml/x\n    tag: v1",
			"helm:\n  image:\n    repository: registry.example.com/ml/x\n    tag: v1\n    digest: " + D},
		{"digest ~", "image:\n  repository: registry.example.com/ml/x\n  digest: ~\n  tag: v1\n",
			"image:\n  repository: registry.example.com/ml/x\n  digest: " + D + "\n  tag: v1\n"},
		{"digest null", "image: {repository: registry.example.com/ml/x, tag: v1, digest: null}\n",
			"image: {repository: registry.example.com/ml/x, tag: v1, digest: " + D + "}\n"},
		{"digest ''", "image:\n  repository: registry.example.com/ml/x\n  tag: v1\n  digest: '' # filled by ballast pin\n",
			"image:\n  repository: registry.example.com/ml/x\n  tag: v1\n  digest: '" + D + "' # filled by ballast pin\n"},
		{"tag on its own line", "image:\n  repository: registry.example.com/ml/x\n  tag:\n    v1\n",
			"image:\n  repository: registry.example.com/ml/x\n  tag:\n    v1\n  digest: " + D + "\n"},
		{"two on a line", "- {image: registry.example.com/ml/x:v1, sidecar: {image: registry.example.com/ml/x:v1}}\n",
			"- {image: registry.example.com/ml/x:v1@" + D + ", sidecar: {image: registry.example.com/ml/x:v1@" + D + "}}\n"},
		{"oci in a list", "args: [--model, \"oci://registry.example.com/ml/x:v1\"]\n",
			"args: [--model, \"oci://registry.example.com/ml/x:v1@" + D + "\"]\n"},
		{"marked env", "env:\n- name: MODEL\n  value: registry.example.com/ml/x:v1 # ballast:pin\n",
			"env:\n- name: MODEL\n  value: registry.example.com/ml/x:v1@" + D + " # ballast:pin\n"},
		{"unmarked env", "env:\n- name: MODEL\n  value: registry.example.com/ml/x:v1 # ballast:pinned\n",
			"env:\n- name: MODEL\n  value: registry.example.com/ml/x:v1 # ballast:pinned\n"},
		{"oci repository", "repoURL: oci://registry.example.com/charts/x\n",
			"repoURL: oci://registry.example.com/charts/x\n"},
		{"kustomize component", "kind: Component\nimages:\n- name: registry.example.com/ml/x\n  newTag: v1\n",
			"kind: Component\nimages:\n- name: registry.example.com/ml/x\n  newTag: v1\n  digest: " + D + "\n"},
		{"not a kustomization", "kind: Gallery\nimages:\n- name: registry.example.com/ml/x\n  newTag: v1\n",
			"kind: Gallery\nimages:\n- name: registry.example.com/ml/x\n  newTag: v1\n"},
		{"block scalar", "image: |\n  registry.example.com/ml/x:v1\n", ""},
		{"escaped", "image: \"registry.example.com/ml/x:v\\x31\"\n", ""},
		{"multi-line plain", "image: registry.example.com/ml/x:v1\n  continued\n", ""},
		{"complex key", "image:\n  repository: registry.example.com/ml/x\n  ? tag\n  : v1\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &pin.Pinner{Resolver: fakeResolver{}}
			res, probs := p.Pin(context.Background(), "f.yaml", []byte(tc.src))
			if tc.want == "" {
				if len(probs) == 0 {
					t.Errorf("pinned to %q, want a problem", res.Out)
				}
				return
			}
			if len(probs) > 0 {
				t.Fatalf("problems: %v", probs)
			}
			if string(res.Out) != tc.want {
				t.Errorf("got\n%q\nwant\n%q", res.Out, tc.want)
			}
		})
	}
}

func TestParseRef(t *testing.T) {
	d := "sha256:" + strings.Repeat("a", 64)
	for _, tc := range []struct {
		in, repo, query string
	}{
		{"registry.example.com/ml/x:v1", "registry.example.com/ml/x", "v1"},
		{"registry.example.com:5000/ml/x", "registry.example.com:5000/ml/x", "latest"},
		{"localhost/x:v1", "localhost/x", "v1"},
		{"nginx", "docker.io/library/nginx", "latest"},
		{"nginx:1.27@" + d, "docker.io/library/nginx", "1.27"},
		{"docker.io/nginx:1.27", "docker.io/library/nginx", "1.27"},
		{"bitnami/redis:7", "docker.io/bitnami/redis", "7"},
		{"oci://registry.example.com/ml/x@" + d, "registry.example.com/ml/x", d},
	} {
		r, err := pin.ParseRef(tc.in)
		if err != nil {
			t.Errorf("ParseRef(%q): %v", tc.in, err)
			continue
		}
		if r.Repository() != tc.repo || r.Query() != tc.query || r.String() != tc.in {
			t.Errorf("ParseRef(%q) = %s %s %s, want %s %s", tc.in, r.Repository(), r.Query(), r, tc.repo, tc.query)
		}
	}
	for _, in := range []string{"", "x:", "registry.example.com/ML/x:v1", "r.example.com/ml/x:v1@sha256:abc", "oci://x:v1", "r.example.com/ml/x:-v1", "r.example.com/ml x:v1"} {
		if r, err := pin.ParseRef(in); err == nil {
			t.Errorf("ParseRef(%q) = %v, want an error", in, r)
		}
	}
}
