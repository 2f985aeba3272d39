package gitglob

import "testing"

func TestMatchFilter(t *testing.T) {
	for _, c := range []struct {
		filter, path string
		want         bool
	}{
		{"", "any/thing.bin", true},
		{"models/", "models/a.onnx", true},
		{"models/", "models/deep/a.onnx", true},
		{"models/", "other/models/a.onnx", false},
		{"*.onnx", "deep/dir/a.onnx", true}, // no '/': matches the last component
		{"models/*.onnx", "models/a.onnx", true},
		{"models/*.onnx", "models/deep/a.onnx", false},
		{"models/**/*.onnx", "models/deep/a.onnx", true},
		{"/a.bin", "a.bin", true},
		{"[", "[", true}, // an unclosed class is a literal '['
	} {
		if got := MatchFilter(c.filter, c.path); got != c.want {
			t.Errorf("MatchFilter(%q, %q) = %v, want %v", c.filter, c.path, got, c.want)
		}
	}
}

// FuzzCompile: any pattern either fails to compile or gives a pattern
// that matches without panicking, with and without pathname rules.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{"*.onnx", "models/**", "**/x", "a/**/b", "[a-z]?", "[!x]", `\*`, "[", "v*"} {
		f.Add(s, "models/a.onnx")
	}
	f.Fuzz(func(t *testing.T, pattern, path string) {
		for _, pathname := range []bool{true, false} {
			if re, err := Compile(pattern, pathname); err == nil {
				re.MatchString(path)
			}
		}
		if p, err := CompilePattern(pattern); err == nil {
			p.Match(path)
		}
		MatchFilter(pattern, path)
	})
}
