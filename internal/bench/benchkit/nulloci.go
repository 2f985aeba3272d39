package benchkit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The OCI side of NullServer, just what oras push and pull use:
//
//	GET       /v2/                                    200
//	HEAD, GET /v2/{name}/blobs/{digest}               once received: the kept
//	                                                  bytes or the registered
//	                                                  file (sendfile); else 404
//	POST      /v2/{name}/blobs/uploads/               202 and a Location; with
//	                                                  ?digest= a whole upload
//	PUT       /v2/{name}/blobs/uploads/{id}?digest=   body read and counted, 201
//	PUT       /v2/{name}/manifests/{ref}              kept byte-exact, with its
//	                                                  Content-Type, 201
//	HEAD, GET /v2/{name}/manifests/{tag or digest}    the manifest
//
// There is no auth, no chunked (PATCH) upload, no mount, tag list or
// referrers API. Reference: OCI distribution-spec v1.1, spec.md.

// nullManifest is a manifest as it was pushed.
type nullManifest struct {
	body   []byte
	ctype  string
	digest string
}

func (s *NullServer) serveOCI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	rest := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/v2"), "/")
	if rest == "" {
		return // 200: the API is here
	}
	if name, id, ok := cutLast(rest, "/blobs/uploads/"); ok {
		s.ociUpload(w, r, name, id)
	} else if name, digest, ok := cutLast(rest, "/blobs/"); ok {
		s.ociBlob(w, r, name, digest)
	} else if name, ref, ok := cutLast(rest, "/manifests/"); ok {
		s.ociManifest(w, r, name, ref)
	} else {
		ociError(w, http.StatusNotFound, "NAME_UNKNOWN", "no such route")
	}
}

// cutLast splits s around the last sep: repository names may hold slashes.
func cutLast(s, sep string) (before, after string, ok bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

// ociUpload starts an upload session or completes one with a single PUT.
func (s *NullServer) ociUpload(w http.ResponseWriter, r *http.Request, name, id string) {
	digest := r.URL.Query().Get("digest")
	switch {
	case (r.Method == http.MethodPost && digest != "") || (r.Method == http.MethodPut && id != "" && digest != ""):
		s.ociPutBlob(w, r, name, digest)
	case r.Method == http.MethodPost && id == "":
		s.mu.Lock()
		s.uploads++
		id = strconv.Itoa(s.uploads)
		s.mu.Unlock()
		w.Header().Set("Location", "/v2/"+name+"/blobs/uploads/"+id)
		w.Header().Set("Docker-Upload-UUID", id)
		w.WriteHeader(http.StatusAccepted)
	case r.Method == http.MethodPut:
		ociError(w, http.StatusBadRequest, "DIGEST_INVALID", "PUT without ?digest=")
	default:
		ociError(w, http.StatusMethodNotAllowed, "UNSUPPORTED", "only monolithic uploads")
	}
}

// ociPutBlob receives a whole blob and records it as present in name.
func (s *NullServer) ociPutBlob(w http.ResponseWriter, r *http.Request, name, digest string) {
	n, data, err := s.receive(r, digest)
	if err != nil {
		ociError(w, http.StatusBadRequest, "SIZE_INVALID", err.Error())
		return
	}
	s.mu.Lock()
	s.have[name+" "+digest] = n
	if data != nil {
		s.kept[digest] = data
	}
	s.mu.Unlock()
	w.Header().Set("Location", "/v2/"+name+"/blobs/"+digest)
	w.Header().Set("Docker-Content-Digest", digest)
	w.WriteHeader(http.StatusCreated)
}

// ociBlob answers HEAD and GET of a blob.
func (s *NullServer) ociBlob(w http.ResponseWriter, r *http.Request, name, digest string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		ociError(w, http.StatusMethodNotAllowed, "UNSUPPORTED", r.Method+" of a blob")
		return
	}
	s.mu.Lock()
	n, have := s.have[name+" "+digest]
	data, isKept := s.kept[digest]
	f, isFile := s.files[digest]
	s.mu.Unlock()
	if !have {
		ociError(w, http.StatusNotFound, "BLOB_UNKNOWN", digest)
		return
	}
	w.Header().Set("Docker-Content-Digest", digest)
	switch {
	case isKept:
		w.Header().Set("Content-Type", "application/octet-stream")
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
	case isFile:
		sendFile(w, r, f)
	case r.Method == http.MethodHead:
		w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
	default:
		ociError(w, http.StatusNotFound, "BLOB_UNKNOWN", digest+" was received, but no file was registered for it")
	}
}

// ociManifest stores a pushed manifest or answers HEAD and GET of one.
func (s *NullServer) ociManifest(w http.ResponseWriter, r *http.Request, name, ref string) {
	switch r.Method {
	case http.MethodPut:
		body, err := readSmall(r)
		if err != nil {
			ociError(w, http.StatusBadRequest, "MANIFEST_INVALID", err.Error())
			return
		}
		sum := sha256.Sum256(body)
		m := nullManifest{body, r.Header.Get("Content-Type"), "sha256:" + hex.EncodeToString(sum[:])}
		if strings.Contains(ref, ":") && ref != m.digest {
			ociError(w, http.StatusBadRequest, "DIGEST_INVALID", "the body's digest is "+m.digest)
			return
		}
		s.mu.Lock()
		s.manifests[name+" "+ref] = m
		s.manifests[name+" "+m.digest] = m
		s.mu.Unlock()
		w.Header().Set("Location", "/v2/"+name+"/manifests/"+m.digest)
		w.Header().Set("Docker-Content-Digest", m.digest)
		w.WriteHeader(http.StatusCreated)
	case http.MethodGet, http.MethodHead:
		s.mu.Lock()
		m, ok := s.manifests[name+" "+ref]
		s.mu.Unlock()
		if !ok {
			ociError(w, http.StatusNotFound, "MANIFEST_UNKNOWN", ref)
			return
		}
		w.Header().Set("Content-Type", m.ctype)
		w.Header().Set("Docker-Content-Digest", m.digest)
		w.Header().Set("Content-Length", strconv.Itoa(len(m.body)))
		if r.Method == http.MethodGet {
			w.Write(m.body)
		}
	default:
		ociError(w, http.StatusMethodNotAllowed, "UNSUPPORTED", r.Method+" of a manifest")
	}
}

// ociError sends an error in the distribution-spec's JSON form.
func ociError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, "application/json", map[string]any{"errors": []map[string]string{{"code": code, "message": msg}}})
}
