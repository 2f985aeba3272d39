package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ballastml/ballast/internal/client/apiclient"
	"github.com/ballastml/ballast/internal/httpapi/api"
)

// The provenance commands: thin clients of the API that print tables.

func newLogCmd() *cobra.Command {
	var (
		cf     clientFlags
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:     "log REPO PATH",
		Short:   "Show each version of a model file: commit, date, author, digest, size",
		Example: `  ballast log ml/cat-classifier models/classifier.onnx`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, path, err := cf.forRepo(args[0], "/history")
			if err != nil {
				return err
			}
			var h api.History
			err = getAll(cmd.Context(), c, path, url.Values{"path": {args[1]}}, func(p *api.History) string {
				if h.Repo == "" {
					h = *p
				} else {
					h.Versions = append(h.Versions, p.Versions...)
				}
				return p.NextCursor
			})
			if err != nil {
				return err
			}
			h.NextCursor = ""
			if asJSON {
				return printJSON(cmd.OutOrStdout(), h)
			}
			return printHistory(cmd.OutOrStdout(), h)
		},
	}
	cf.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the API's JSON instead of a table")
	return cmd
}

func printHistory(w io.Writer, h api.History) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "COMMIT\tDATE\tAUTHOR\tDIGEST\tSIZE\tMESSAGE")
	for _, v := range h.Versions {
		digest, size := shortDigest(v.Digest), formatSize(v.Size)
		if v.Removed {
			digest, size = "(removed)", "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", short(v.Commit.SHA), formatTime(&v.Commit.Author.Time, "-"),
			v.Commit.Author.Name, digest, size, subject(v.Commit.Message))
	}
	return tw.Flush()
}

func newWhichCmd() *cobra.Command {
	var (
		cf     clientFlags
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "which DIGEST",
		Short: "Show where a digest comes from: repository, commit, path, tags",
		Long: `Show every repository, commit and path that pins a digest, with the branches
and tags pointing at each commit. DIGEST is sha256:<hex> or a bare Git LFS oid,
in full or shortened to its first 4 or more hex digits when that is unique. A
full digest of an OCI manifest (an artifact or image ballast published, or one
pushed with oras) shows the repositories that hold it and its tags there.
Only repositories the token can read are shown.`,
		Example: `  ballast which sha256:3f1d…
  ballast which "$(git lfs ls-files -l | awk '/classifier.onnx/ {print $1}')"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := normalizeDigest(args[0])
			if err != nil {
				return err
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			var info api.DigestInfo
			err = getAll(cmd.Context(), c, api.Prefix+"digests/"+d, url.Values{}, func(p *api.DigestInfo) string {
				info.Digest = p.Digest
				info.Occurrences = append(info.Occurrences, p.Occurrences...)
				info.Manifests = append(info.Manifests, p.Manifests...)
				return p.NextCursor
			})
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), info)
			}
			return printOccurrences(cmd.OutOrStdout(), info)
		},
	}
	cf.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the API's JSON instead of a table")
	return cmd
}

var hexDigest = regexp.MustCompile(`^[0-9a-f]{4,64}$`)

// normalizeDigest accepts sha256:<hex> or a bare oid, in full or
// shortened to at least 4 hex digits (the server resolves a short one),
// and returns sha256:<hex>.
func normalizeDigest(s string) (string, error) {
	hex := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(s), "sha256:"))
	if !hexDigest.MatchString(hex) {
		return "", fmt.Errorf("digest %q: want sha256:<hex> or a Git LFS oid, in full (64 hex digits) or its first 4 or more", s)
	}
	return "sha256:" + hex, nil
}

func printOccurrences(w io.Writer, info api.DigestInfo) error {
	if len(info.Manifests) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "OCI MANIFEST IN	MEDIA TYPE	TAGS")
		for _, m := range info.Manifests {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", m.Repo, m.MediaType, orDash(strings.Join(m.Tags, ",")))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if len(info.Occurrences) == 0 {
			return nil
		}
		fmt.Fprintln(w)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "REPOSITORY\tPATH\tCOMMIT\tDATE\tAUTHOR\tREFS")
	for _, o := range info.Occurrences {
		var refs []string
		for _, r := range o.Refs {
			refs = append(refs, r.Name)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", o.Repo, o.Path, short(o.Commit.SHA),
			formatTime(&o.Commit.Author.Time, "-"), o.Commit.Author.Name, orDash(strings.Join(refs, ",")))
	}
	return tw.Flush()
}

func newDiffCmd() *cobra.Command {
	var (
		cf     clientFlags
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:     "diff REPO REF1 REF2",
		Short:   "Show the model files added, removed and changed between two refs",
		Example: `  ballast diff ml/cat-classifier v1.0.0 v1.1.0`,
		Args:    cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, path, err := cf.forRepo(args[0], "/diff")
			if err != nil {
				return err
			}
			var d api.Diff
			err = getAll(cmd.Context(), c, path, url.Values{"from": {args[1]}, "to": {args[2]}}, func(p *api.Diff) string {
				if d.Repo == "" {
					d = *p
				} else {
					d.Changes = append(d.Changes, p.Changes...)
				}
				return p.NextCursor
			})
			if err != nil {
				return err
			}
			d.NextCursor = ""
			if asJSON {
				return printJSON(cmd.OutOrStdout(), d)
			}
			return printDiff(cmd.OutOrStdout(), d)
		},
	}
	cf.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the API's JSON instead of a table")
	return cmd
}

func printDiff(w io.Writer, d api.Diff) error {
	fmt.Fprintf(w, "%s %s (%s) → %s (%s): %d added, %d removed, %d changed\n", d.Repo,
		d.From.Ref, short(d.From.Commit), d.To.Ref, short(d.To.Commit), d.Added, d.Removed, d.Changed)
	if len(d.Changes) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tPATH\tOLD SIZE\tNEW SIZE\tOLD DIGEST\tNEW DIGEST")
	for _, c := range d.Changes {
		oldSize, newSize, oldDigest, newDigest := "-", "-", "-", "-"
		if c.Old != nil {
			oldSize, oldDigest = formatSize(c.Old.Size), shortDigest(c.Old.Digest)
		}
		if c.New != nil {
			newSize, newDigest = formatSize(c.New.Size), shortDigest(c.New.Digest)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.Status, c.Path, oldSize, newSize, oldDigest, newDigest)
	}
	return tw.Flush()
}

// getAll GETs path with query q page after page: page decodes into a
// fresh T, is handed to each, which returns the next page's cursor.
func getAll[T any](ctx context.Context, c *apiclient.Client, path string, q url.Values, each func(*T) string) error {
	q.Set("limit", "1000")
	for {
		var page T
		if err := c.Do(ctx, http.MethodGet, path+"?"+q.Encode(), nil, &page); err != nil {
			return err
		}
		next := each(&page)
		if next == "" {
			return nil
		}
		q.Set("cursor", next)
	}
}

// short abbreviates a commit sha to 12 characters.
func short(sha string) string { return sha[:min(len(sha), 12)] }

// shortDigest abbreviates sha256:<hex> to its algorithm and 12 hex digits.
func shortDigest(d string) string {
	alg, hex, ok := strings.Cut(d, ":")
	if !ok {
		return short(d)
	}
	return alg + ":" + short(hex)
}

// subject is the first line of a commit message, at most 60 characters.
func subject(msg string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(msg), "\n")
	if r := []rune(line); len(r) > 60 {
		return string(r[:59]) + "…"
	}
	return line
}

// formatSize shows n bytes in binary units: 512 B, 2.3 MiB.
func formatSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
