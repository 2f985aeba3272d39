package api

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// sealer encrypts the cursors of listings that span repositories. The
// index's cursor names the last row it read, which may lie in a repository
// the caller cannot read; sealed, it tells the caller nothing.
type sealer struct {
	aead cipher.AEAD
}

// newSealer derives an AES-256-GCM key from key; a nil key is replaced by
// random bytes, so cursors last as long as the process.
func newSealer(key []byte) sealer {
	if key == nil {
		key = make([]byte, 32)
		rand.Read(key)
	}
	k := sha256.Sum256(append([]byte("ballast api cursor\x00"), key...))
	block, err := aes.NewCipher(k[:])
	if err != nil {
		panic(err) // a 32-byte key is always valid
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return sealer{aead: aead}
}

// seal encrypts cursor, bound to context (what was listed); "" stays "".
func (s sealer) seal(cursor, context string) string {
	if cursor == "" {
		return ""
	}
	nonce := make([]byte, s.aead.NonceSize())
	rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString(s.aead.Seal(nonce, nonce, []byte(cursor), []byte(context)))
}

// open decrypts a sealed cursor of the same context; "" stays "".
func (s sealer) open(sealed, context string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(sealed)
	n := s.aead.NonceSize()
	if err != nil || len(b) < n {
		return "", errBadCursor(sealed)
	}
	plain, err := s.aead.Open(nil, b[:n], b[n:], []byte(context))
	if err != nil {
		return "", errBadCursor(sealed)
	}
	return string(plain), nil
}
