package gitindex

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/go-git/go-billy/v5/osfs"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/format/pktline"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/go-git/go-git/v5/storage/memory"
)

// mirrorRefSpecs fetch every branch and tag to the same name, forced, so a
// rewritten history replaces the old one.
var mirrorRefSpecs = []config.RefSpec{
	"+refs/heads/*:refs/heads/*",
	"+refs/tags/*:refs/tags/*",
}

const (
	// objectCacheSize bounds go-git's cache of decoded objects (its
	// default is 96 MiB).
	objectCacheSize = 16 * cache.MiByte
	// largeObject is the size from which go-git streams an object instead
	// of reading it into memory.
	largeObject = 1 << 20
)

// mirror is an open bare mirror; Close releases its files.
type mirror struct {
	*git.Repository
	storage *filesystem.Storage
}

func (m mirror) Close() error { return m.storage.Close() }

// openMirror opens repo's bare mirror, creating it on first use.
func (x *Indexer) openMirror(repo string) (mirror, error) {
	path := x.mirrorPath(repo)
	if err := os.MkdirAll(path, 0o755); err != nil {
		return mirror{}, err
	}
	st := filesystem.NewStorageWithOptions(osfs.New(path), cache.NewObjectLRU(objectCacheSize),
		filesystem.Options{ExclusiveAccess: true, KeepDescriptors: true, LargeObjectThreshold: largeObject})
	r, err := git.Open(st, nil)
	if errors.Is(err, git.ErrRepositoryNotExists) {
		r, err = git.Init(st, nil)
	}
	if err != nil {
		st.Close()
		return mirror{}, fmt.Errorf("open mirror of %s: %w", repo, err)
	}
	return mirror{Repository: r, storage: st}, nil
}

// fetch brings the mirror up to date with the remote: every branch and tag,
// forced, and refs deleted on the remote deleted here.
func fetch(ctx context.Context, m mirror, src Source) error {
	if err := checkLocal(src.URL); err != nil {
		return err
	}
	remote := git.NewRemote(m.Storer, &config.RemoteConfig{Name: "origin", URLs: []string{src.URL}})
	opts := &git.FetchOptions{RefSpecs: mirrorRefSpecs, Tags: git.NoTags, Force: true, Prune: true}
	if isHTTP(src.URL) && (src.Username != "" || src.Password != "") {
		opts.Auth = &githttp.BasicAuth{Username: src.Username, Password: src.Password}
	}
	err := remote.FetchContext(ctx, opts)
	switch {
	case err == nil, errors.Is(err, git.NoErrAlreadyUpToDate):
		return nil
	case errors.Is(err, transport.ErrEmptyRemoteRepository):
		return clearRefs(m)
	}
	return classify(ctx, src.URL, err)
}

// Probe checks the form of src as Connect does, then that it answers as a
// Git repository with its credentials, by listing its refs without fetching
// anything: ErrUnreachable, ErrNotGit or ErrForbiddenAddress if not. An
// empty repository passes.
func (x *Indexer) Probe(ctx context.Context, repo string, src Source) error {
	src, err := checkSource(repo, src)
	if err != nil {
		return err
	}
	if err := checkLocal(src.URL); err != nil {
		return err
	}
	remote := git.NewRemote(memory.NewStorage(), &config.RemoteConfig{Name: "origin", URLs: []string{src.URL}})
	opts := &git.ListOptions{}
	if isHTTP(src.URL) && (src.Username != "" || src.Password != "") {
		opts.Auth = &githttp.BasicAuth{Username: src.Username, Password: src.Password}
	}
	_, err = remote.ListContext(ctx, opts)
	if err == nil || errors.Is(err, transport.ErrEmptyRemoteRepository) {
		return nil
	}
	return classify(ctx, src.URL, err)
}

// checkLocal gives a local source's clear errors before go-git runs
// git-upload-pack on it.
func checkLocal(raw string) error {
	if isHTTP(raw) {
		return nil
	}
	p := raw
	if strings.HasPrefix(raw, "file://") {
		u, err := url.Parse(raw)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrUnreachable, err)
		}
		p = u.Path
	}
	fi, err := os.Stat(p)
	switch {
	case err != nil:
		return fmt.Errorf("%w: %s: %v", ErrUnreachable, raw, err)
	case !fi.IsDir():
		return fmt.Errorf("%w: %s is a file, not a directory", ErrNotGit, raw)
	}
	return nil
}

// classify maps a fetch error to ErrUnreachable or ErrNotGit where it can.
func classify(ctx context.Context, raw string, err error) error {
	var netErr net.Error
	var urlErr *url.Error
	var unexpected *plumbing.UnexpectedError
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, ErrForbiddenAddress):
		return fmt.Errorf("fetch %s: %w", redact(raw), err)
	case errors.Is(err, transport.ErrRepositoryNotFound), errors.Is(err, pktline.ErrInvalidPktLen):
		return fmt.Errorf("%w: %s (%v)", ErrNotGit, redact(raw), err)
	case errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed):
		return fmt.Errorf("%w: %s: %v (check the username and password)", ErrUnreachable, redact(raw), err)
	case errors.As(err, &netErr), errors.As(err, &urlErr), errors.As(err, &unexpected):
		return fmt.Errorf("%w: %s: %v", ErrUnreachable, redact(raw), err)
	}
	return fmt.Errorf("fetch %s: %w", redact(raw), err)
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Redacted()
}

// clearRefs deletes every branch and tag: the remote has none.
func clearRefs(m mirror) error {
	refs, err := m.References()
	if err != nil {
		return err
	}
	defer refs.Close()
	return refs.ForEach(func(r *plumbing.Reference) error {
		if r.Name().IsBranch() || r.Name().IsTag() {
			return m.Storer.RemoveReference(r.Name())
		}
		return nil
	})
}
