package oci

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
)

// Digests used in fixtures; the parser never looks them up.
var (
	dConfig = digest.FromString("config")
	dLayer  = digest.FromString("layer")
	dChild  = digest.FromString("child")
	dSubj   = digest.FromString("subject")
)

func desc(mt string, d digest.Digest, size int) string {
	return fmt.Sprintf(`{"mediaType":%q,"digest":%q,"size":%d}`, mt, d, size)
}

// imageJSON is an OCI image manifest with one layer; extra is spliced in
// as further members.
func imageJSON(extra string) string {
	s := `{"schemaVersion":2,"mediaType":"` + mtOCIManifest + `","config":` +
		desc("application/vnd.oci.image.config.v1+json", dConfig, 6) +
		`,"layers":[` + desc("application/vnd.oci.image.layer.v1.tar", dLayer, 5) + `]`
	if extra != "" {
		s += "," + extra
	}
	return s + "}"
}

func indexJSON(extra string) string {
	s := `{"schemaVersion":2,"mediaType":"` + mtOCIIndex + `","manifests":[` + desc(mtOCIManifest, dChild, 5) + `]`
	if extra != "" {
		s += "," + extra
	}
	return s + "}"
}

// wantCode checks that err is an *Error with the given status and code.
func wantCode(t *testing.T, err error, status int, code Code) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Status != status || e.Code != code {
		t.Fatalf("error %v, want %d %s", err, status, code)
	}
}

func TestParseImageManifest(t *testing.T) {
	m, err := parseManifest(mtOCIManifest, []byte(imageJSON(`"subject":`+desc(mtOCIManifest, dSubj, 3)+`,"annotations": {"a": "1", "b":"2"}`)))
	if err != nil {
		t.Fatal(err)
	}
	if m.mediaType != mtOCIManifest || m.artifactType != "application/vnd.oci.image.config.v1+json" {
		t.Fatalf("media type %q, artifact type %q", m.mediaType, m.artifactType)
	}
	if len(m.refs) != 2 || m.refs[0].Digest != dConfig || m.refs[1].Digest != dLayer {
		t.Fatalf("refs %+v", m.refs)
	}
	if m.subject == nil || m.subject.Digest != dSubj {
		t.Fatalf("subject %+v", m.subject)
	}
	if string(m.annotations) != `{"a":"1","b":"2"}` {
		t.Fatalf("annotations %s", m.annotations)
	}
}

func TestParseArtifactType(t *testing.T) {
	m, err := parseManifest(mtOCIManifest, []byte(imageJSON(`"artifactType":"application/vnd.example.sbom"`)))
	if err != nil || m.artifactType != "application/vnd.example.sbom" {
		t.Fatalf("artifact type %q, err %v", m.artifactType, err)
	}
	m, err = parseManifest(mtOCIIndex, []byte(indexJSON("")))
	if err != nil || m.artifactType != "" {
		t.Fatalf("index artifact type %q, err %v", m.artifactType, err)
	}
}

func TestParseNonDistributable(t *testing.T) {
	for _, mt := range []string{
		"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
		"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
	} {
		body := strings.Replace(imageJSON(""), "application/vnd.oci.image.layer.v1.tar", mt, 1)
		m, err := parseManifest(mtOCIManifest, []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		if len(m.refs) != 1 || m.refs[0].Digest != dConfig {
			t.Fatalf("%s: refs %+v, want the config only", mt, m.refs)
		}
	}
}

func TestParseIndexAndDockerTypes(t *testing.T) {
	m, err := parseManifest(mtOCIIndex, []byte(indexJSON(`"subject":`+desc(mtOCIManifest, dSubj, 3))))
	if err != nil || len(m.refs) != 1 || m.refs[0].Digest != dChild || m.subject == nil {
		t.Fatalf("index: %+v, %v", m, err)
	}
	docker := strings.ReplaceAll(imageJSON(""), mtOCIManifest, mtDockerManifest)
	if _, err := parseManifest(mtDockerManifest, []byte(docker)); err != nil {
		t.Fatalf("docker manifest: %v", err)
	}
	list := strings.Replace(indexJSON(""), mtOCIIndex, mtDockerList, 1)
	if _, err := parseManifest(mtDockerList, []byte(list)); err != nil {
		t.Fatalf("docker manifest list: %v", err)
	}
}

func TestParseMediaTypeRules(t *testing.T) {
	noField := strings.Replace(imageJSON(""), `"mediaType":"`+mtOCIManifest+`",`, "", 1)
	tests := []struct {
		name, contentType, body string
		want                    string // media type, or "" for MANIFEST_INVALID
	}{
		{"field and header agree", mtOCIManifest, imageJSON(""), mtOCIManifest},
		{"parameters ignored", mtOCIManifest + "; charset=utf-8", imageJSON(""), mtOCIManifest},
		{"no field", mtOCIManifest, noField, mtOCIManifest},
		{"no header", "", imageJSON(""), mtOCIManifest},
		{"neither", "", noField, ""},
		{"disagree", mtOCIIndex, imageJSON(""), ""},
		{"disagree docker", mtDockerManifest, imageJSON(""), ""},
		{"bad header", "application/", imageJSON(""), ""},
		{"opaque json type", "application/vnd.example.thing.v1+json", `{"x":1}`, "application/vnd.example.thing.v1+json"},
		{"plain json", "application/json", `{"x":1}`, "application/json"},
		{"html", "text/html", `{"x":1}`, ""},
		{"octet-stream", "application/octet-stream", `{"x":1}`, ""},
		{"schema 1", "application/vnd.docker.distribution.manifest.v1+prettyjws", `{"x":1}`, ""},
	}
	for _, tt := range tests {
		m, err := parseManifest(tt.contentType, []byte(tt.body))
		if tt.want == "" {
			wantCode(t, err, http.StatusBadRequest, CodeManifestInvalid)
			continue
		}
		if err != nil || m.mediaType != tt.want {
			t.Errorf("%s: %+v, %v; want media type %q", tt.name, m, err, tt.want)
		}
	}
}

func TestParseRejects(t *testing.T) {
	badDigest := strings.Replace(imageJSON(""), dLayer.String(), "sha256:abc", 1)
	tests := []struct{ name, contentType, body string }{
		{"not json", mtOCIManifest, "{"},
		{"array", mtOCIManifest, "[]"},
		{"null", mtOCIManifest, "null"},
		{"string", "application/json", `"x"`},
		{"trailing data", mtOCIManifest, imageJSON("") + "{}"},
		{"schema version", mtOCIManifest, strings.Replace(imageJSON(""), `"schemaVersion":2`, `"schemaVersion":1`, 1)},
		{"no schema version", mtOCIManifest, strings.Replace(imageJSON(""), `"schemaVersion":2,`, "", 1)},
		{"no config", mtOCIManifest, `{"schemaVersion":2,"layers":[]}`},
		{"manifest with manifests", mtOCIManifest, imageJSON(`"manifests":[]`)},
		{"index with layers", mtOCIIndex, indexJSON(`"layers":[]`)},
		{"index with config", mtOCIIndex, indexJSON(`"config":` + desc("a/b", dConfig, 1))},
		{"bad layer digest", mtOCIManifest, badDigest},
		{"unknown algorithm", mtOCIManifest, strings.Replace(imageJSON(""), dLayer.String(), "md5:d41d8cd98f00b204e9800998ecf8427e", 1)},
		{"negative size", mtOCIManifest, strings.Replace(imageJSON(""), `"size":5`, `"size":-5`, 1)},
		{"no descriptor media type", mtOCIIndex, `{"schemaVersion":2,"manifests":[{"digest":"` + dChild.String() + `","size":1}]}`},
		{"bad subject", mtOCIManifest, imageJSON(`"subject":{"mediaType":"a/b","digest":"x","size":1}`)},
		{"duplicate member", mtOCIManifest, imageJSON(`"layers":[]`)},
		{"nested duplicate", mtOCIManifest, imageJSON(`"annotations":{"a":"1","a":"2"}`)},
		{"duplicate in opaque type", "application/json", `{"a":[{"b":1,"b":2}]}`},
		{"annotation not a string", mtOCIManifest, imageJSON(`"annotations":{"a":1}`)},
		{"size not a number", mtOCIManifest, strings.Replace(imageJSON(""), `"size":5`, `"size":"5"`, 1)},
	}
	for _, tt := range tests {
		_, err := parseManifest(tt.contentType, []byte(tt.body))
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeManifestInvalid {
			t.Errorf("%s: err %v, want MANIFEST_INVALID", tt.name, err)
		}
	}
}

func TestParseKeepsUnknownFields(t *testing.T) {
	m, err := parseManifest(mtOCIManifest, []byte(imageJSON(`"org.example.custom":{"deep":[1,2e999,null]}`)))
	if err != nil || len(m.refs) != 2 {
		t.Fatalf("%+v, %v", m, err)
	}
}

func TestParseDeepNesting(t *testing.T) {
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	_, err := parseManifest("application/json", []byte(`{"a":`+deep+`}`))
	wantCode(t, err, http.StatusBadRequest, CodeManifestInvalid)
}

// FuzzParseManifest: the parser never panics, and whatever it accepts has
// valid descriptor digests and well-formed annotations.
func FuzzParseManifest(f *testing.F) {
	f.Add(mtOCIManifest, []byte(imageJSON("")))
	f.Add(mtOCIIndex, []byte(indexJSON(`"subject":`+desc(mtOCIManifest, dSubj, 3))))
	f.Add(mtDockerManifest, []byte(strings.ReplaceAll(imageJSON(""), mtOCIManifest, mtDockerManifest)))
	f.Add("application/json", []byte(`{"a":{"b":[1,"x",null]}}`))
	f.Add("", []byte(imageJSON(`"annotations":{"k":"v"}`)))
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		m, err := parseManifest(contentType, body)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Status != http.StatusBadRequest {
				t.Fatalf("error %v is not a 400 *Error", err)
			}
			return
		}
		if m.mediaType == "" {
			t.Fatal("accepted a manifest without a media type")
		}
		for _, d := range m.refs {
			if d.Digest.Validate() != nil || d.Size < 0 {
				t.Fatalf("accepted descriptor %+v", d)
			}
		}
		if m.subject != nil && m.subject.Digest.Validate() != nil {
			t.Fatalf("accepted subject %+v", m.subject)
		}
		if m.annotations != nil {
			var ann map[string]string
			if err := json.Unmarshal(m.annotations, &ann); err != nil {
				t.Fatalf("annotations %s: %v", m.annotations, err)
			}
		}
	})
}

// A descriptor is image-spec's: one whose fields have the wrong JSON types
// (annotations that are not strings, a size that is not a number) is not
// a manifest.
func TestParseManifestDescriptorTypes(t *testing.T) {
	const cfg = `{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2}`
	for name, layer := range map[string]string{
		"annotation not a string": `{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2,"annotations":{"a":1}}`,
		"size a string":           `{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":"2"}`,
	} {
		body := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":` + cfg + `,"layers":[` + layer + `]}`
		if _, err := parseManifest(mtOCIManifest, []byte(body)); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}
