package gitglob

import (
	"regexp"
	"strings"
)

// Compile translates a wildcard pattern into an anchored regular
// expression. '?' matches one character, '[...]' a class ('[!...]' negated)
// and '\' escapes the next character.
//
// With pathname set, the pattern matches slash-separated paths as in
// gitignore (Reference: git gitignore(5), "PATTERN FORMAT"): '*' and '?'
// never match '/', a leading "**/" matches in all directories, a trailing
// "/**" matches everything inside, "/**/" matches zero or more directories,
// and other runs of '*' act as one '*'. Without pathname, '*' matches any
// run of characters, '/' included.
func Compile(pattern string, pathname bool) (*regexp.Regexp, error) {
	star, one := ".*", "."
	if pathname {
		star, one = "[^/]*", "[^/]"
	}
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(pattern); {
		c := pattern[i]
		switch {
		case pathname && isDoubleStar(pattern, i):
			if i+2 == len(pattern) {
				b.WriteString(".*")
				i += 2
			} else {
				b.WriteString("(?:.*/)?")
				i += 3
			}
		case c == '*':
			for i < len(pattern) && pattern[i] == '*' {
				i++
			}
			b.WriteString(star)
		case c == '?':
			b.WriteString(one)
			i++
		case c == '[':
			class, n := bracket(pattern[i:], pathname)
			if n == 0 {
				b.WriteString(`\[`)
				i++
				break
			}
			b.WriteString(class)
			i += n
		case c == '\\' && i+1 < len(pattern):
			b.WriteString(regexp.QuoteMeta(pattern[i+1 : i+2]))
			i += 2
		default:
			b.WriteString(regexp.QuoteMeta(pattern[i : i+1]))
			i++
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

// isDoubleStar reports whether pattern has a "**" path component at i.
func isDoubleStar(pattern string, i int) bool {
	return strings.HasPrefix(pattern[i:], "**") &&
		(i == 0 || pattern[i-1] == '/') &&
		(i+2 == len(pattern) || pattern[i+2] == '/')
}

// bracket translates the character class at the start of s and returns it
// with the number of pattern bytes it used, or n == 0 if s holds no
// complete class (the '[' is then literal).
func bracket(s string, pathname bool) (class string, n int) {
	i := 1
	negate := i < len(s) && (s[i] == '!' || s[i] == '^')
	if negate {
		i++
	}
	start := i
	if i < len(s) && s[i] == ']' {
		i++ // a ']' first in the class is literal
	}
	for i < len(s) && s[i] != ']' {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		i++
	}
	if i >= len(s) {
		return "", 0
	}
	var b strings.Builder
	b.WriteString("[")
	if negate {
		b.WriteString("^")
		if pathname {
			b.WriteString("/")
		}
	}
	for j := start; j < i; j++ {
		c := s[j]
		if c == '\\' && j+1 < i {
			j++
			c = s[j]
		}
		if strings.IndexByte(`\[]^`, c) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	b.WriteString("]")
	return b.String(), i + 1
}
