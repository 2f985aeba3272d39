package api

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strings"

	"github.com/ballastml/ballast/internal/format/modelpack"
	"github.com/ballastml/ballast/internal/gitops/gitindex"
	"github.com/ballastml/ballast/internal/platform/httpx"
)

// refFiles serves GET …/refs/{ref}: the commit a tag, branch or commit
// names, its files, and the OCI manifest it was published as.
func (a *api) refFiles(w http.ResponseWriter, r *http.Request, rt route) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	c, err := a.Index.ResolveRef(r.Context(), rt.repo, rt.ref)
	if err != nil {
		return err
	}
	files, err := a.Index.Files(r.Context(), rt.repo, c.SHA)
	if err != nil {
		return err
	}
	page, next, err := pageByPath(files, func(f gitindex.File) string { return f.Path }, p)
	if err != nil {
		return err
	}
	out := RefFiles{Repo: rt.repo, Ref: rt.ref, Commit: fromCommit(c), Files: make([]File, len(page)), NextCursor: next}
	imagePath, err := a.imagePaths(r, rt.repo, files)
	if err != nil {
		return err
	}
	for i, f := range page {
		out.Files[i] = *fromFile(f)
		out.Files[i].ImagePath = imagePath(f.Path)
	}
	pub := a.published(r, rt)
	out.ManifestDigest, out.OCITag, out.MissingOCITag = pub.Digest, pub.Tag, pub.MissingTag
	setNext(w, r, next)
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

// imagePaths returns where the image form of a commit with files places
// each of them, "" for a file it leaves out: the published files (the
// source's path filter) mapped by its image root (modelpack.ImageFiles).
func (a *api) imagePaths(r *http.Request, repo string, files []gitindex.File) (func(string) string, error) {
	src, err := a.Index.Source(r.Context(), repo)
	if err != nil {
		return nil, err
	}
	var published []modelpack.File
	for _, f := range files {
		if src.MatchPath(f.Path) {
			published = append(published, modelpack.File{Path: f.Path})
		}
	}
	dir := modelpack.ImageDir(published, src.ImageRoot)
	return func(p string) string {
		if !src.MatchPath(p) {
			return ""
		}
		rel, ok := modelpack.ImagePath(p, dir)
		if !ok {
			return ""
		}
		return "/" + modelpack.ImageRoot + "/" + rel
	}, nil
}

// published asks the publisher what ref was published as. A failure only
// leaves the field out: provenance does not depend on publishing.
func (a *api) published(r *http.Request, rt route) Publication {
	if a.Published == nil {
		return Publication{}
	}
	p, err := a.Published(r.Context(), rt.repo, rt.ref)
	if err != nil {
		a.log.WarnContext(r.Context(), "looking up the published manifest", "repo", rt.repo, "ref", rt.ref, "err", err)
		return Publication{}
	}
	return p
}

// pageByPath returns a page of items sorted by key; the cursor is the key
// of the last item returned, so a page stays in place while items before
// it come and go.
func pageByPath[T any](items []T, key func(T) string, p page) ([]T, string, error) {
	slices.SortFunc(items, func(a, b T) int { return strings.Compare(key(a), key(b)) })
	start := 0
	if p.cursor != "" {
		after, err := base64.RawURLEncoding.DecodeString(p.cursor)
		if err != nil || len(after) == 0 {
			return nil, "", errBadCursor(p.cursor)
		}
		start, _ = slices.BinarySearchFunc(items, string(after), func(it T, k string) int { return strings.Compare(key(it), k) })
		if start < len(items) && key(items[start]) == string(after) {
			start++
		}
	}
	end := min(start+p.limit, len(items))
	if end == len(items) {
		return items[start:end], "", nil
	}
	return items[start:end], base64.RawURLEncoding.EncodeToString([]byte(key(items[end-1]))), nil
}
