package lfspointer

import (
	"strings"
	"testing"
)

const (
	testOID  = "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393"
	v1       = "version https://git-lfs.github.com/spec/v1\n"
	oidLine  = "oid sha256:" + testOID + "\n"
	goodPtr  = v1 + oidLine + "size 12345\n"
	extLine0 = "ext-0-foo sha256:" + testOID + "\n"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name string
		data string
		size int64
	}{
		{"spec example", goodPtr, 12345},
		{"zero size", v1 + oidLine + "size 0\n", 0},
		{"extensions", v1 + extLine0 + "ext-1-bar sha256:" + testOID + "\n" + oidLine + "size 1\n", 1},
		{"legacy version", "version https://hawser.github.com/spec/v1\n" + oidLine + "size 2\n", 2},
	} {
		p, err := Parse([]byte(tc.data))
		if err != nil || p.OID != testOID || p.Size != tc.size {
			t.Errorf("%s: %+v, %v", tc.name, p, err)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for name, data := range map[string]string{
		"empty":             "",
		"no final newline":  strings.TrimSuffix(goodPtr, "\n"),
		"crlf":              strings.ReplaceAll(goodPtr, "\n", "\r\n"),
		"version not first": oidLine + v1 + "size 1\n",
		"unknown version":   "version https://example.com/v2\n" + oidLine + "size 1\n",
		"keys unsorted":     v1 + "size 1\n" + oidLine,
		"key repeated":      v1 + oidLine + oidLine + "size 1\n",
		"no size":           v1 + oidLine,
		"no oid":            v1 + "size 1\n",
		"negative size":     v1 + oidLine + "size -1\n",
		"plus size":         v1 + oidLine + "size +1\n",
		"huge size":         v1 + oidLine + "size 99999999999999999999\n",
		"short oid":         v1 + "oid sha256:abc\n" + "size 1\n",
		"upper-case oid":    v1 + "oid sha256:" + strings.ToUpper(testOID) + "\n" + "size 1\n",
		"other hash":        v1 + "oid sha512:" + testOID + "\n" + "size 1\n",
		"unknown key":       v1 + oidLine + "size 1\n" + "zzz 1\n",
		"blank line":        v1 + oidLine + "\n" + "size 1\n",
		"two spaces":        v1 + "oid  sha256:" + testOID + "\n" + "size 1\n",
		"trailing space":    v1 + oidLine + "size 1 \n",
		"bad extension":     v1 + "ext-0-foo nothash\n" + oidLine + "size 1\n",
		"too large":         goodPtr + strings.Repeat("x", MaxSize),
		"text file":         "just some text\n",
	} {
		if p, err := Parse([]byte(data)); err == nil {
			t.Errorf("%s: accepted as %+v", name, p)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(goodPtr))
	f.Add([]byte(v1 + extLine0 + oidLine + "size 0\n"))
	f.Add([]byte(v1 + oidLine + "size 18446744073709551615\n"))
	f.Add([]byte("version \n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err != nil {
			return
		}
		if !oidRE.MatchString(p.OID) || p.Size < 0 || len(data) > MaxSize {
			t.Fatalf("accepted %q as %+v", data, p)
		}
	})
}
