package api

import "github.com/ballastml/ballast/internal/gitops/gitindex"

func fromCommit(c gitindex.Commit) Commit {
	parents := c.Parents
	if parents == nil {
		parents = []string{}
	}
	return Commit{
		SHA:       c.SHA,
		Parents:   parents,
		Author:    Person{Name: c.AuthorName, Email: c.AuthorEmail, Time: c.AuthorTime},
		Committer: Person{Name: c.CommitterName, Email: c.CommitterEmail, Time: c.CommitTime},
		Message:   c.Message,
	}
}

func fromRefs(rs []gitindex.Ref) []Ref {
	out := make([]Ref, len(rs))
	for i, r := range rs {
		out[i] = Ref{Name: r.Name, Kind: r.Kind, Commit: r.Commit}
	}
	return out
}

func fromProblems(ps []gitindex.Problem) []Problem {
	out := make([]Problem, len(ps))
	for i, p := range ps {
		out[i] = Problem{Commit: p.Commit, Path: p.Path, Kind: p.Kind, Detail: p.Detail}
	}
	return out
}

func fromFile(f gitindex.File) *File {
	return &File{Path: f.Path, Digest: digestOf(f.OID), Size: f.Size}
}

func fromSync(repo string, res gitindex.SyncResult) SyncResult {
	out := SyncResult{Repo: repo, NewCommits: res.NewCommits, Changed: []RefChange{}, Problems: fromProblems(res.Problems)}
	for _, c := range res.Changed {
		out.Changed = append(out.Changed, RefChange{Name: c.Name, Kind: c.Kind, Old: c.Old, New: c.New})
	}
	return out
}
