package pulllog

import "time"

// Kinds of pulled object.
const (
	Blob     = "blob"
	Manifest = "manifest"
)

// Protocols a pull can come through.
const (
	LFS = "lfs"
	OCI = "oci"
)

// PullEvent is one pull.
type PullEvent struct {
	Time      time.Time `json:"time"`
	Repo      string    `json:"repo"`
	Digest    string    `json:"digest"`              // "sha256:<hex>"
	Reference string    `json:"reference,omitempty"` // the tag or digest a manifest was asked by
	Kind      string    `json:"kind"`                // Blob or Manifest
	Protocol  string    `json:"protocol"`            // LFS or OCI
	User      string    `json:"user"`
	TokenID   string    `json:"token_id,omitempty"` // empty for anonymous pulls
}
