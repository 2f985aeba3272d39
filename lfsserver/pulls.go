package lfsserver

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

// recordPull records a completed download of d. A range from a later
// offset than 0 continues a download already recorded (see pulllog).
func (s *server) recordPull(id *auth.Identity, repo string, d digest.Digest, offset int64) {
	if s.pulls == nil || offset > 0 {
		return
	}
	s.pulls.Record(pulllog.PullEvent{Repo: repo, Digest: d.String(), Kind: pulllog.Blob,
		Protocol: pulllog.LFS, User: id.User, TokenID: id.TokenID})
}
