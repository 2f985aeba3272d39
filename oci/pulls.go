package oci

import (
	"github.com/opencontainers/go-digest"

	"github.com/ballastml/ballast/internal/gitops/pulllog"
	"github.com/ballastml/ballast/internal/platform/auth"
)

// PullRecorder records pulls; *pulllog.Recorder implements it. Record must
// not block.
type PullRecorder interface {
	Record(pulllog.PullEvent)
}

// recordPull records a completed GET of d, a blob or a manifest asked for
// by ref. A range from a later offset than 0 continues a download already
// recorded (see pulllog).
func (s *server) recordPull(id *auth.Identity, repo string, d digest.Digest, kind, ref string, offset int64) {
	if s.pulls == nil || offset > 0 {
		return
	}
	s.pulls.Record(pulllog.PullEvent{Repo: repo, Digest: d.String(), Reference: ref, Kind: kind,
		Protocol: pulllog.OCI, User: id.User, TokenID: id.TokenID})
}
