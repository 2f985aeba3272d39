package auth

import (
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"testing"
)

// FuzzParseScope checks that a parsed scope prints back to its input and
// that Matches agrees with an equivalent regular expression.
func FuzzParseScope(f *testing.F) {
	for _, seed := range [][2]string{
		{"ml/*:write", "ml/x/y"}, {"*:admin", ""}, {"ml/x:read", "ml/x"},
		{"a*b*c:read", "axbxc"}, {"*a*a*b:read", "aaaa"}, {"ml:", "ml"}, {"", ""},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, s, repo string) {
		sc, err := ParseScope(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidScope) {
				t.Fatalf("ParseScope(%q) error %v does not wrap ErrInvalidScope", s, err)
			}
			return
		}
		if sc.String() != s {
			t.Fatalf("ParseScope(%q).String() = %q", s, sc.String())
		}
		re := regexp.MustCompile(`(?s)^` + strings.ReplaceAll(regexp.QuoteMeta(sc.Pattern), `\*`, `.*`) + `$`)
		if got, want := sc.Matches(repo), re.MatchString(repo); got != want {
			t.Fatalf("Scope %q Matches(%q) = %v, regexp says %v", sc.Pattern, repo, got, want)
		}
	})
}

// FuzzParseAuthorization checks that any header value parses without
// panicking into a secret or ErrInvalidToken, and that Basic and Bearer
// encodings of a secret give it back.
func FuzzParseAuthorization(f *testing.F) {
	for _, seed := range []string{
		"Bearer blst_abc", "Basic dTpw", "Basic !!", "Bearer", "", " ", "basic  dTpw ",
	} {
		f.Add(seed, "blst_abc")
	}
	f.Fuzz(func(t *testing.T, header, secret string) {
		got, err := parseAuthorization(header)
		if err != nil && !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("parseAuthorization(%q) error %v does not wrap ErrInvalidToken", header, err)
		}
		if err == nil && got == "" {
			t.Fatalf("parseAuthorization(%q) returned an empty secret", header)
		}
		if secret == "" {
			return
		}
		b := "Basic " + base64.StdEncoding.EncodeToString([]byte("user:"+secret))
		if got, err := parseAuthorization(b); err != nil || got != secret {
			t.Fatalf("Basic round trip of %q = %q, %v", secret, got, err)
		}
		if strings.ContainsAny(secret, " \t") {
			return
		}
		if got, err := parseAuthorization("Bearer " + secret); err != nil || got != secret {
			t.Fatalf("Bearer round trip of %q = %q, %v", secret, got, err)
		}
	})
}
