package gitindex

import (
	"bytes"
	"path"
	"strconv"
	"strings"

	"github.com/ballastml/ballast/internal/format/gitglob"
)

// attrRule is a .gitattributes line that mentions the filter attribute.
type attrRule struct {
	gitglob.Pattern
	lfs bool // filter=lfs; unset, unspecified or another driver is false
}

// parseAttributes reads the lines of a .gitattributes file that say
// whether Git LFS filters a path (Reference: git gitattributes(5)). Lines
// that do not mention filter are dropped, as are macro definitions
// ("[attr]"), negative patterns (not allowed in attributes files) and
// patterns with a trailing '/', which match only directories and so never
// a file. Unparseable patterns are skipped, as git skips them.
func parseAttributes(data []byte) []attrRule {
	var rules []attrRule
	for _, line := range bytes.Split(data, []byte("\n")) {
		pattern, attrs, ok := splitAttrLine(strings.TrimSpace(string(line)))
		if !ok || strings.HasPrefix(pattern, "[attr]") || strings.HasPrefix(pattern, "!") ||
			strings.HasSuffix(pattern, "/") {
			continue
		}
		lfs, mentioned := filterState(attrs)
		if !mentioned {
			continue
		}
		pp, err := gitglob.CompilePattern(pattern)
		if err != nil {
			continue
		}
		rules = append(rules, attrRule{Pattern: pp, lfs: lfs})
	}
	return rules
}

// splitAttrLine splits a line into its pattern, which may be C-quoted,
// and the attribute fields after it.
func splitAttrLine(line string) (pattern string, attrs []string, ok bool) {
	if line == "" || line[0] == '#' {
		return "", nil, false
	}
	if line[0] == '"' {
		end := closingQuote(line)
		if end < 0 {
			return "", nil, false
		}
		p, err := strconv.Unquote(line[:end+1])
		if err != nil {
			return "", nil, false
		}
		return p, strings.Fields(line[end+1:]), true
	}
	fields := strings.Fields(line)
	return fields[0], fields[1:], true
}

// closingQuote returns the index of the '"' ending the quoted string that
// starts line, or -1.
func closingQuote(line string) int {
	for i := 1; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

// filterState returns whether attrs leave filter=lfs, and whether they
// mention filter at all; the last mention wins.
func filterState(attrs []string) (lfs, mentioned bool) {
	for _, a := range attrs {
		switch {
		case a == "filter", a == "-filter", a == "!filter":
			lfs, mentioned = false, true
		case strings.HasPrefix(a, "filter="):
			lfs, mentioned = a == "filter=lfs", true
		}
	}
	return lfs, mentioned
}

// attributes answers which paths of one tree Git LFS tracks. The rules of
// a .gitattributes file apply to paths below its directory; deeper files
// take precedence over shallower ones, and later lines over earlier ones.
type attributes struct {
	load func(dir string) []attrRule // rules of dir/.gitattributes; dir "." is the root
	dirs map[string][]attrRule
}

func newAttributes(load func(dir string) []attrRule) *attributes {
	return &attributes{load: load, dirs: make(map[string][]attrRule)}
}

// tracked reports whether the file at p (slash-separated, relative to the
// root) has filter=lfs.
func (a *attributes) tracked(p string) bool {
	for dir := path.Dir(p); ; dir = path.Dir(dir) {
		rel := p
		if dir != "." {
			rel = p[len(dir)+1:]
		}
		rules := a.rules(dir)
		for i := len(rules) - 1; i >= 0; i-- {
			if rules[i].Match(rel) {
				return rules[i].lfs
			}
		}
		if dir == "." {
			return false
		}
	}
}

func (a *attributes) rules(dir string) []attrRule {
	r, ok := a.dirs[dir]
	if !ok {
		r = a.load(dir)
		a.dirs[dir] = r
	}
	return r
}
