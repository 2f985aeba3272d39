package gitindex

import (
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/ballastml/ballast/internal/format/gitglob"
	"github.com/ballastml/ballast/internal/format/modelpack"
	"github.com/ballastml/ballast/internal/platform/name"
)

// Source is where a repository's Git history comes from, and which of its
// tags and files are published.
type Source struct {
	URL        string // http(s) URL, file:// URL or absolute local path
	Username   string // optional HTTP credentials
	Password   string
	TagPattern string // tags to publish (MatchTag); "" is stored as "*"
	PathFilter string // files to publish (MatchPath); "" means all
	// ImageRoot is the directory the image form places at /models
	// (modelpack.ImageFiles): "" automatic, "/" the repository root.
	ImageRoot string
}

// MatchTag reports whether the tag is to be published. TagPattern is a
// glob in which '*' matches any characters, '/' included, so "*" matches
// every tag and "release/*" every tag under release/.
func (s Source) MatchTag(tag string) bool {
	if s.TagPattern == "" || s.TagPattern == "*" {
		return true
	}
	re, err := gitglob.Compile(s.TagPattern, false)
	return err == nil && re.MatchString(tag)
}

// MatchPath reports whether the file at p (slash-separated, relative to
// the repository root) is to be published. PathFilter is a gitignore-style
// pattern: "*.onnx" matches at any depth, "models/**" everything under
// models/, and a trailing '/' ("models/") means the same as "/**".
func (s Source) MatchPath(p string) bool {
	return gitglob.MatchFilter(s.PathFilter, p)
}

// checkSource validates repo and src and returns src with defaults set.
func checkSource(repo string, src Source) (Source, error) {
	if err := name.ValidateRepo(repo); err != nil {
		return Source{}, fmt.Errorf("%w: %w", ErrInvalidSource, err)
	}
	src.URL = strings.TrimSpace(src.URL)
	if src.TagPattern == "" {
		src.TagPattern = "*"
	}
	if err := checkURL(src); err != nil {
		return Source{}, fmt.Errorf("%w: %w", ErrInvalidSource, err)
	}
	if _, err := gitglob.Compile(src.TagPattern, false); err != nil {
		return Source{}, fmt.Errorf("%w: tag pattern %q: %v", ErrInvalidSource, src.TagPattern, err)
	}
	if _, err := gitglob.CompileFilter(src.PathFilter); src.PathFilter != "" && err != nil {
		return Source{}, fmt.Errorf("%w: path filter %q: %v", ErrInvalidSource, src.PathFilter, err)
	}
	root, err := modelpack.CheckImageRoot(src.ImageRoot)
	if err != nil {
		return Source{}, fmt.Errorf("%w: %v", ErrInvalidSource, err)
	}
	src.ImageRoot = root
	return src, nil
}

// checkURL accepts http(s) URLs without embedded credentials, file://
// URLs and absolute paths. SSH is not offered: its keys have no place in
// Source.
func checkURL(src Source) error {
	raw := src.URL
	if raw == "" {
		return fmt.Errorf("URL is empty")
	}
	if isHTTP(raw) {
		u, err := url.Parse(raw)
		switch {
		case err != nil:
			return fmt.Errorf("URL %q: %v", raw, err)
		case u.Host == "":
			return fmt.Errorf("URL %q has no host", raw)
		case u.User != nil:
			return fmt.Errorf("URL %q holds credentials; give them as username and password", u.Redacted())
		}
		return checkHost(u.Hostname())
	}
	if src.Username != "" || src.Password != "" {
		return fmt.Errorf("credentials apply to http(s) URLs only")
	}
	if strings.HasPrefix(raw, "file://") {
		u, err := url.Parse(raw)
		if err != nil || u.Host != "" || !strings.HasPrefix(u.Path, "/") {
			return fmt.Errorf("URL %q: a file URL is file:///absolute/path", raw)
		}
		return nil
	}
	if !filepath.IsAbs(raw) {
		return fmt.Errorf("URL %q: want an http(s) URL, a file:// URL or an absolute path", raw)
	}
	return nil
}

var httpRE = regexp.MustCompile(`(?i)^https?://`)

func isHTTP(raw string) bool { return httpRE.MatchString(raw) }
