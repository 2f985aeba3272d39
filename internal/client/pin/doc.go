// Package pin rewrites OCI references in Kubernetes manifests, Kustomize
// files and Helm values files from tags to digests, so that what a Git
// commit deploys is exactly what it names.
//
// [Scan] finds the references in a YAML file; a [Pinner] resolves their
// tags against their registries (a [Registry], with oras-go) and splices
// the digests into the original text. The file is never re-marshalled:
// comments, key order, quoting and indentation stay byte for byte as they
// were; only the reference changes, or one "digest:" key is added.
//
// References are found
//   - in string values of "image" keys (containers, initContainers,
//     ephemeralContainers, and any other resource or values file),
//   - in "reference" inside an "image" mapping (Kubernetes image volumes:
//     volumes[].image.reference),
//   - in any string value that starts with "oci://" and names a tag or a
//     digest (a KServe storageUri, a Helm chart reference); without either
//     it is a repository URL and is left alone,
//   - in any string value marked with a "# ballast:pin" line comment (an
//     init container's argument, an environment variable),
//   - in Kustomize "images:" entries with newTag, where a "digest:" key is
//     added (Kustomize then writes name:tag@digest),
//   - in Helm values "image:" mappings with repository and tag (and
//     optionally registry), where a "digest:" key is added: the key Helm
//     charts conventionally read.
//
// A pinned string reference keeps its tag for people to read,
// registry/repo:tag@sha256:…, which Kubernetes, containerd and Argo CD
// accept; the digest alone decides what is pulled. [Pinner.DropTag] writes
// registry/repo@sha256:… instead. Names without a registry are read as
// Docker and Kubernetes read them: "nginx" is docker.io/library/nginx.
package pin
