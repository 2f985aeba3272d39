package name

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateRepo(t *testing.T) {
	valid := []string{"a", "ml/cat-classifier", "ml/x", "a/b/c", "a.b_c__d---e", "0/9"}
	for _, s := range valid {
		if err := ValidateRepo(s); err != nil {
			t.Errorf("ValidateRepo(%q) = %v, want nil", s, err)
		}
	}
	invalid := []string{
		"", "..", "../x", "ml/../x", "ml//x", "/ml", "ml/", "ML/x", "ml/x.git",
		"ml/x\x00", "ml x", "-a", "a-", "a___b", "a..b", "a/./b", "ml\\x",
		strings.Repeat("a", MaxRepoLength+1),
	}
	for _, s := range invalid {
		err := ValidateRepo(s)
		if s == "ml/x.git" {
			// ".git" is a valid OCI name component; routing strips it before validation.
			if err != nil {
				t.Errorf("ValidateRepo(%q) = %v, want nil", s, err)
			}
			continue
		}
		if !errors.Is(err, ErrInvalidRepo) {
			t.Errorf("ValidateRepo(%q) = %v, want ErrInvalidRepo", s, err)
		}
	}
}

func FuzzValidateRepo(f *testing.F) {
	for _, s := range []string{"ml/x", "../a", "a//b", "A", "a__b", "a-_b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidateRepo(s) != nil {
			return
		}
		// Anything accepted must be safe to use as a path and a URL segment.
		if strings.Contains(s, "..") || strings.Contains(s, "//") ||
			strings.HasPrefix(s, "/") || strings.HasSuffix(s, "/") ||
			strings.ContainsAny(s, "\x00\\ ?#%") || strings.ToLower(s) != s || len(s) > MaxRepoLength {
			t.Fatalf("accepted unsafe name %q", s)
		}
	})
}
