package lfspointer

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// MaxSize is the largest blob that can be a pointer file; larger
// blobs are never read as pointer candidates. git-lfs uses the same bound.
const MaxSize = 1024

// Pointer is a parsed Git LFS pointer file.
type Pointer struct {
	OID  string // 64 lower-case hex
	Size int64
}

var (
	errNotPointer = errors.New("not a Git LFS pointer")

	// Reference: git-lfs docs/spec.md, "The Pointer": keys use [a-z0-9.-];
	// extensions are ext-{priority}-{name} (docs/extensions.md).
	keyRE = regexp.MustCompile(`^[a-z0-9.-]+$`)
	extRE = regexp.MustCompile(`^ext-[0-9]-[a-z0-9.-]+$`)
	oidRE = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// pointerVersions are the version URLs git-lfs accepts; the second is the
// project's pre-release name, still found in old repositories.
var pointerVersions = []string{
	"https://git-lfs.github.com/spec/v1",
	"https://hawser.github.com/spec/v1",
}

// Parse parses data as a Git LFS pointer file by the rules of the
// git-lfs specification (Reference: git-lfs docs/spec.md): at most 1024
// bytes; every line "key value" ending in LF; "version" first with a known
// spec URL; the other keys in ascending order, each once; "oid
// sha256:<64 hex>" and "size <n>" required; no keys but those and
// "ext-<digit>-<name>" extensions.
func Parse(data []byte) (Pointer, error) {
	if len(data) > MaxSize {
		return Pointer{}, fmt.Errorf("%w: %d bytes, a pointer has at most %d", errNotPointer, len(data), MaxSize)
	}
	if !bytes.HasSuffix(data, []byte("\n")) {
		return Pointer{}, fmt.Errorf("%w: does not end with a line feed", errNotPointer)
	}
	lines := bytes.Split(data[:len(data)-1], []byte("\n"))
	if err := checkVersion(lines[0]); err != nil {
		return Pointer{}, err
	}
	var (
		p            Pointer
		prev         string
		hasOID, hasN bool
	)
	for i, line := range lines[1:] {
		key, value, err := splitLine(line)
		if err != nil {
			return Pointer{}, fmt.Errorf("line %d: %w", i+2, err)
		}
		if key <= prev {
			return Pointer{}, fmt.Errorf("%w: key %q out of order or repeated", errNotPointer, key)
		}
		prev = key
		switch {
		case key == "oid":
			p.OID, err = parseOID(value)
			hasOID = true
		case key == "size":
			p.Size, err = parseSize(value)
			hasN = true
		case extRE.MatchString(key):
			_, err = parseOID(value)
		default:
			err = fmt.Errorf("%w: unknown key %q", errNotPointer, key)
		}
		if err != nil {
			return Pointer{}, err
		}
	}
	if !hasOID || !hasN {
		return Pointer{}, fmt.Errorf("%w: oid or size missing", errNotPointer)
	}
	return p, nil
}

func checkVersion(line []byte) error {
	key, value, err := splitLine(line)
	if err != nil {
		return err
	}
	if key != "version" {
		return fmt.Errorf("%w: first key is %q, not version", errNotPointer, key)
	}
	for _, v := range pointerVersions {
		if value == v {
			return nil
		}
	}
	return fmt.Errorf("%w: unknown version %q", errNotPointer, value)
}

// splitLine splits "key value" at its single space.
func splitLine(line []byte) (key, value string, err error) {
	k, v, ok := bytes.Cut(line, []byte(" "))
	if !ok || !keyRE.Match(k) || len(v) == 0 || bytes.ContainsAny(v, "\r\n") {
		return "", "", fmt.Errorf("%w: malformed line %.40q", errNotPointer, line)
	}
	return string(k), string(v), nil
}

func parseOID(value string) (string, error) {
	hex, ok := strings.CutPrefix(value, "sha256:")
	if !ok || !oidRE.MatchString(hex) {
		return "", fmt.Errorf("%w: oid %.80q is not sha256:<64 hex>", errNotPointer, value)
	}
	return hex, nil
}

func parseSize(value string) (int64, error) {
	for _, c := range value {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w: size %.40q is not a decimal number", errNotPointer, value)
		}
	}
	n, err := strconv.ParseInt(value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: size %.40q out of range", errNotPointer, value)
	}
	return n, nil
}
