package pin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/opencontainers/go-digest"
)

// A Resolver finds the digest a reference names now: the manifest its tag
// points to, or, for a reference with only a digest, that digest when the
// registry has it.
type Resolver interface {
	Resolve(ctx context.Context, ref Ref) (digest.Digest, error)
}

// Pinner checks and pins the references in files.
type Pinner struct {
	Resolver Resolver
	// DropTag writes registry/repo@sha256:… instead of
	// registry/repo:tag@sha256:…. It applies to references written as one
	// string; Kustomize and Helm entries keep their tag key.
	DropTag bool
	// Verify also resolves references that are already pinned and reports
	// those whose tag now points elsewhere or whose digest is gone.
	Verify bool
	// Set moves references to new tags before pinning them: it maps a
	// repository, as [Ref.Repository] spells it, to a tag. A reference
	// whose tag ends in "-image" (the image form ballast publishes next to
	// each tag) gets the new tag with that suffix.
	Set map[string]string
	// Only, when not empty, limits pinning to references of these
	// registries (host[:port] as the references spell them); others are
	// left as they are, unresolved and unreported.
	Only []string
	// SkipUnreachable leaves references to registries that cannot be
	// reached as they are, and reports them in Result.Skipped instead of
	// failing the file.
	SkipUnreachable bool
}

// A Problem is one thing wrong in a file, printed FILE:LINE: message.
type Problem struct {
	File string
	Line int // 0 when it concerns the whole file
	Msg  string
}

func (p Problem) Error() string {
	if p.Line == 0 {
		return fmt.Sprintf("%s: %s", p.File, p.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
}

// A Change is one reference pinned (and, with Set, moved to a new tag).
type Change struct {
	Line     int
	From, To Ref
}

// Check reports every reference in src that is not pinned to a digest, and
// with Verify every pinned one that no longer resolves to its digest. It
// changes nothing.
func (p *Pinner) Check(ctx context.Context, file string, src []byte) []Problem {
	sites, err := Scan(src)
	if err != nil {
		return []Problem{syntaxProblem(file, err)}
	}
	var probs []Problem
	for _, s := range sites {
		switch {
		case s.Err == nil && !p.selected(s.Ref):
		case s.Err != nil:
			probs = append(probs, Problem{file, s.Line, s.Err.Error()})
		case !s.Ref.Pinned():
			probs = append(probs, Problem{file, s.Line, s.Ref.String() + " is not pinned to a digest"})
		case p.Verify:
			if msg := p.verify(ctx, s.Ref); msg != "" {
				probs = append(probs, Problem{file, s.Line, msg})
			}
		}
	}
	return probs
}

// Pin resolves every unpinned reference in src and returns the file with
// their digests spliced in. A file with any problem is not changed at all:
// the result is nil and the problems say why.
func (p *Pinner) Pin(ctx context.Context, file string, src []byte) (*Result, []Problem) {
	sites, err := Scan(src)
	if err != nil {
		return nil, []Problem{syntaxProblem(file, err)}
	}
	var probs []Problem
	next := make([]Ref, len(sites))
	res := &Result{File: file, Src: src, Out: src}
	for i, s := range sites {
		if s.Err != nil {
			probs = append(probs, Problem{file, s.Line, s.Err.Error()})
			continue
		}
		if !p.selected(s.Ref) {
			continue
		}
		to := p.retag(s.Ref)
		if to.Pinned() {
			if p.Verify {
				if msg := p.verify(ctx, to); msg != "" {
					probs = append(probs, Problem{file, s.Line, msg})
				}
			}
			continue
		}
		d, err := p.Resolver.Resolve(ctx, to)
		if err != nil {
			prob := Problem{file, s.Line, to.String() + ": " + describe(err, to)}
			if p.SkipUnreachable && unreachable(err) {
				res.Skipped = append(res.Skipped, prob)
			} else {
				probs = append(probs, prob)
			}
			continue
		}
		next[i] = to.withDigest(d, p.DropTag && s.value != nil)
		res.Changes = append(res.Changes, Change{s.Line, s.Ref, next[i]})
	}
	if len(probs) > 0 {
		return nil, probs
	}
	if len(res.Changes) == 0 {
		return res, nil
	}
	res.Out, res.edits, err = rewrite(src, sites, next)
	if err != nil {
		return nil, []Problem{{file, 0, err.Error() + "; file left unchanged"}}
	}
	return res, nil
}

// selected reports whether ref is one Only lets through.
func (p *Pinner) selected(ref Ref) bool {
	return len(p.Only) == 0 || slices.Contains(p.Only, ref.Registry())
}

// retag returns ref moved to the tag Set gives its repository, unpinned,
// or ref itself.
func (p *Pinner) retag(ref Ref) Ref {
	tag, ok := p.Set[ref.Repository()]
	if !ok {
		return ref
	}
	if strings.HasSuffix(ref.Tag, imageSuffix) {
		tag += imageSuffix
	}
	if tag != ref.Tag {
		ref.Tag, ref.Digest = tag, ""
	}
	return ref
}

// imageSuffix ends the tag of the image form ballast publishes of a tag.
const imageSuffix = "-image"

// verify resolves a pinned reference and describes how it no longer
// matches, or returns "".
func (p *Pinner) verify(ctx context.Context, ref Ref) string {
	d, err := p.Resolver.Resolve(ctx, ref)
	switch {
	case err != nil:
		return ref.String() + ": " + describe(err, ref)
	case d != ref.Digest:
		return fmt.Sprintf("%s: tag %s now points to %s", ref, ref.Tag, d)
	}
	return ""
}

func syntaxProblem(file string, err error) Problem {
	var se *SyntaxError
	if errors.As(err, &se) {
		return Problem{file, se.Line, se.Error()}
	}
	return Problem{file, 0, err.Error()}
}
