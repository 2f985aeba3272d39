package gitglob

import (
	"path"
	"regexp"
	"strings"
)

// Pattern is a gitignore-style pattern, matched against paths relative
// to the directory it applies to.
type Pattern struct {
	re       *regexp.Regexp
	basename bool // the pattern has no '/' and matches a path's last component
}

// CompilePattern compiles a pattern without a trailing '/'. A leading
// '/' only anchors the pattern, which any '/' does.
func CompilePattern(pattern string) (Pattern, error) {
	re, err := Compile(strings.TrimPrefix(pattern, "/"), true)
	if err != nil {
		return Pattern{}, err
	}
	return Pattern{re: re, basename: !strings.Contains(pattern, "/")}, nil
}

// Match reports whether rel, a path relative to the pattern's directory,
// matches.
func (p Pattern) Match(rel string) bool {
	if p.basename {
		return p.re.MatchString(path.Base(rel))
	}
	return p.re.MatchString(rel)
}

// MatchFilter reports whether path p is selected by a path filter of a
// connected repository: "" selects all; a trailing '/' selects everything
// under a directory; otherwise filter is a Pattern. A filter that does not
// compile selects nothing.
func MatchFilter(filter, p string) bool {
	if filter == "" {
		return true
	}
	pp, err := CompileFilter(filter)
	return err == nil && pp.Match(p)
}

// CompileFilter compiles a path filter (MatchFilter).
func CompileFilter(filter string) (Pattern, error) {
	if strings.HasSuffix(filter, "/") {
		filter += "**"
	}
	return CompilePattern(filter)
}
