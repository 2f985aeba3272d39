package oci

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Manifest media types the registry understands and validates: image-spec's
// two, and Docker's Image Manifest V2, Schema 2 pair, which image-spec does
// not name.
// Reference: image-spec media-types.md; Docker Image Manifest V2, Schema 2.
const (
	mtOCIManifest    = ocispec.MediaTypeImageManifest
	mtOCIIndex       = ocispec.MediaTypeImageIndex
	mtDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	mtDockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
)

// descriptor is an image-spec content descriptor. The registry reads its
// media type, digest and size.
// Reference: image-spec descriptor.md.
type descriptor = ocispec.Descriptor

// manifestDoc is the union of the fields of the four known manifest types.
// Reference: image-spec manifest.md and image-index.md.
type manifestDoc struct {
	SchemaVersion int             `json:"schemaVersion"`
	MediaType     string          `json:"mediaType"`
	ArtifactType  string          `json:"artifactType"`
	Config        *descriptor     `json:"config"`
	Layers        []descriptor    `json:"layers"`
	Manifests     []descriptor    `json:"manifests"`
	Subject       *descriptor     `json:"subject"`
	Annotations   json.RawMessage `json:"annotations"`
}

// manifest is what the registry keeps of a parsed manifest.
type manifest struct {
	mediaType string
	// artifactType is what the referrers API reports: the manifest's
	// artifactType, else (image manifests only) its config's media type.
	artifactType string
	subject      *descriptor
	annotations  json.RawMessage // compact JSON object, or nil
	// refs are the descriptors that must exist in the repository: config,
	// distributable layers, index children. Never the subject.
	refs []descriptor
}

// errManifestInvalid builds the 400 MANIFEST_INVALID answer.
func errManifestInvalid(format string, args ...any) *Error {
	return newErr(http.StatusBadRequest, CodeManifestInvalid, format, args...)
}

// parseManifest validates body as a manifest pushed with the Content-Type
// header value contentType and returns what the registry keeps of it.
//
// The four known types are validated in full. Any other JSON media type
// (application/json or application/…+json) is accepted as an opaque JSON
// object: registries SHOULD accept any manifest type, but serving stored
// bytes under an arbitrary client-chosen type (text/html…) is not safe.
// Reference: distribution-spec "Pushing Manifests"; image-spec manifest.md,
// image-index.md.
func parseManifest(contentType string, body []byte) (*manifest, error) {
	// Unmarshal first: it checks the syntax and bounds the nesting depth
	// (10000) that checkJSON then walks.
	var doc manifestDoc
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, errManifestInvalid("manifest does not parse: %v", err)
	}
	if err := checkJSON(body); err != nil {
		return nil, errManifestInvalid("manifest is not a well-formed JSON object: %v", err)
	}
	mt, err := manifestMediaType(contentType, doc.MediaType)
	if err != nil {
		return nil, err
	}
	m := &manifest{mediaType: mt, artifactType: doc.ArtifactType}
	switch mt {
	case mtOCIManifest, mtDockerManifest:
		err = m.fromImage(&doc)
	case mtOCIIndex, mtDockerList:
		err = m.fromIndex(&doc)
	default:
		if !isJSONMediaType(mt) {
			return nil, errManifestInvalid("unsupported manifest media type %q", mt)
		}
		return &manifest{mediaType: mt}, nil
	}
	if err != nil {
		return nil, err
	}
	if err := m.setCommon(&doc); err != nil {
		return nil, err
	}
	return m, nil
}

// manifestMediaType decides the manifest's media type. Parameters of the
// Content-Type are ignored; a mediaType field, when present, must equal it.
// Reference: distribution-spec "Pushing Manifests" ("If a manifest includes
// a mediaType field, clients MUST set Content-Type to exactly that value";
// "Registries SHOULD ignore any parameters").
func manifestMediaType(contentType, field string) (string, error) {
	if contentType == "" {
		if field == "" {
			return "", errManifestInvalid("Content-Type is required for a manifest without a mediaType field")
		}
		return field, nil
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", errManifestInvalid("invalid Content-Type %q: %v", contentType, err)
	}
	if field != "" && field != mt {
		return "", errManifestInvalid("manifest mediaType %q does not match Content-Type %q", field, mt)
	}
	return mt, nil
}

// isJSONMediaType reports whether mt is application/json or a structured
// application/…+json type (RFC 6839 §3.1).
func isJSONMediaType(mt string) bool {
	return mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")
}

// fromImage validates an image manifest (OCI or Docker schema 2).
// An image manifest with a manifests field is refused: a document that
// reads as both a manifest and an index is ambiguous (CVE-2021-41190).
func (m *manifest) fromImage(doc *manifestDoc) error {
	if doc.Config == nil {
		return errManifestInvalid("image manifest has no config")
	}
	if doc.Manifests != nil {
		return errManifestInvalid("image manifest must not have a manifests field")
	}
	if err := validDescriptor("config", doc.Config); err != nil {
		return err
	}
	m.refs = append(m.refs, *doc.Config)
	for i := range doc.Layers {
		l := &doc.Layers[i]
		if err := validDescriptor(fmt.Sprintf("layers[%d]", i), l); err != nil {
			return err
		}
		if !nonDistributable(l.MediaType) {
			m.refs = append(m.refs, *l)
		}
	}
	if m.artifactType == "" {
		// Reference: distribution-spec "Listing Referrers" (an image
		// manifest without artifactType is listed under its config's type).
		m.artifactType = doc.Config.MediaType
	}
	return nil
}

// fromIndex validates an index (OCI image index or Docker manifest list).
func (m *manifest) fromIndex(doc *manifestDoc) error {
	if doc.Config != nil || doc.Layers != nil {
		return errManifestInvalid("index must not have config or layers fields")
	}
	for i := range doc.Manifests {
		if err := validDescriptor(fmt.Sprintf("manifests[%d]", i), &doc.Manifests[i]); err != nil {
			return err
		}
	}
	m.refs = append(m.refs, doc.Manifests...)
	return nil
}

// setCommon checks the fields every known type shares.
func (m *manifest) setCommon(doc *manifestDoc) error {
	if doc.SchemaVersion != 2 {
		return errManifestInvalid("schemaVersion must be 2, not %d", doc.SchemaVersion)
	}
	if doc.Subject != nil {
		if err := validDescriptor("subject", doc.Subject); err != nil {
			return err
		}
		m.subject = doc.Subject
	}
	return m.setAnnotations(doc.Annotations)
}

// setAnnotations keeps the annotations as compact JSON, after checking
// they are a string-to-string map. Reference: image-spec annotations.md.
func (m *manifest) setAnnotations(raw json.RawMessage) error {
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	var ann map[string]string
	if err := json.Unmarshal(raw, &ann); err != nil {
		return errManifestInvalid("annotations must map strings to strings: %v", err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return errManifestInvalid("annotations: %v", err)
	}
	m.annotations = buf.Bytes()
	return nil
}

// validDescriptor checks the REQUIRED properties of a descriptor.
// Reference: image-spec descriptor.md ("mediaType", "digest", "size").
func validDescriptor(where string, d *descriptor) error {
	switch {
	case d.MediaType == "":
		return errManifestInvalid("%s: mediaType is required", where)
	case d.Size < 0:
		return errManifestInvalid("%s: negative size %d", where, d.Size)
	}
	if err := d.Digest.Validate(); err != nil {
		return errManifestInvalid("%s: invalid digest %q: %v", where, d.Digest, err)
	}
	return nil
}

// nonDistributable reports whether a layer's bytes are, by its media type,
// not expected in the registry, so a missing blob is no error.
// Reference: image-spec layer.md (non-distributable layers, deprecated in
// v1.1 but still accepted); Docker schema 2 "foreign" layers.
func nonDistributable(mediaType string) bool {
	return strings.HasPrefix(mediaType, "application/vnd.oci.image.layer.nondistributable.") ||
		strings.HasPrefix(mediaType, "application/vnd.docker.image.rootfs.foreign.")
}

// checkJSON verifies that body is exactly one JSON object and that no
// object in it repeats a member name. RFC 8259 §4 leaves duplicate names
// to each parser, so two clients could read different layers (or a
// different mediaType) from the same bytes; such manifests are refused.
func checkJSON(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != json.Delim('{') {
		return errors.New("not an object")
	}
	if err := checkObject(dec); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the object")
	}
	return nil
}

// checkObject reads the members of an object whose '{' was consumed.
func checkObject(dec *json.Decoder) error {
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		if seen[key] {
			return fmt.Errorf("duplicate member name %q", key)
		}
		seen[key] = true
		if err := checkValue(dec); err != nil {
			return err
		}
	}
	_, err := dec.Token() // '}'
	return err
}

// checkValue reads one value, descending into objects and arrays.
func checkValue(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		return checkObject(dec)
	case json.Delim('['):
		for dec.More() {
			if err := checkValue(dec); err != nil {
				return err
			}
		}
		_, err = dec.Token() // ']'
		return err
	}
	return nil
}
