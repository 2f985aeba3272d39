package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"strings"
)

// SecretPrefix starts every generated secret, so leaked-secret scanners
// can recognise ballast tokens.
const SecretPrefix = "blst_"

// MinSecretLength is the shortest secret accepted from an operator (see
// EnsureAdmin). Generated secrets are much longer.
const MinSecretLength = 32

// MaxUserLength bounds a user name.
const MaxUserLength = 64

var secretEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newSecret returns SecretPrefix followed by 32 random bytes in lower-case
// base32 (52 characters).
func newSecret() string {
	return SecretPrefix + secretEncoding.EncodeToString(randomBytes(32))
}

// newID returns a short random public token id: 12 hex characters.
func newID() string {
	return hex.EncodeToString(randomBytes(6))
}

// randomBytes reads n bytes from crypto/rand, which never fails on
// supported platforms (it crashes the program rather than return an error).
func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// hashSecret is the form a secret is stored and looked up in.
func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// ValidateUser returns nil if s is a valid user name: 1 to MaxUserLength
// characters from [A-Za-z0-9._@-].
func ValidateUser(s string) error {
	if s == "" || len(s) > MaxUserLength {
		return fmt.Errorf("%w: %q must be 1 to %d characters", ErrInvalidUser, s, MaxUserLength)
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._@-", r)) {
			return fmt.Errorf("%w: %q may hold only [A-Za-z0-9._@-]", ErrInvalidUser, s)
		}
	}
	return nil
}

// checkSecret vets a secret chosen by an operator rather than generated:
// long enough to resist guessing and safe to send in an HTTP header.
func checkSecret(s string) error {
	if len(s) < MinSecretLength {
		return fmt.Errorf("%w: shorter than %d characters (generate one with: openssl rand -hex 32)", ErrInvalidSecret, MinSecretLength)
	}
	for _, r := range s {
		if r <= ' ' || r > '~' {
			return fmt.Errorf("%w: only printable ASCII without spaces is allowed", ErrInvalidSecret)
		}
	}
	return nil
}
