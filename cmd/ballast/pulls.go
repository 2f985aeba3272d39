package main

import (
	"fmt"
	"io"
	"net/url"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ballastml/ballast/internal/gitops/pulllog"
	"github.com/ballastml/ballast/internal/httpapi/api"
)

func newPullsCmd() *cobra.Command {
	var (
		cf                clientFlags
		repo, user, since string
		limit             int
		asJSON            bool
	)
	cmd := &cobra.Command{
		Use:   "pulls",
		Short: "Show who pulled what, when and how: the pull log, newest first",
		Long: `Show the pull log of the repositories the token can read, newest first:
when, repository, digest (and the tag a manifest was asked by), protocol and user.`,
		Example: `  ballast pulls --repo ml/cat-classifier --since 24h`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			q := url.Values{}
			for k, v := range map[string]string{"repo": repo, "user": user, "since": since} {
				if v != "" {
					q.Set(k, v)
				}
			}
			var pulls []pulllog.PullEvent
			err = getAll(cmd.Context(), c, api.Prefix+"pulls", q, func(p *api.Pulls) string {
				pulls = append(pulls, p.Pulls...)
				if len(pulls) >= limit {
					pulls = pulls[:limit]
					return ""
				}
				return p.NextCursor
			})
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), pulls)
			}
			return printPulls(cmd.OutOrStdout(), pulls)
		},
	}
	cf.register(cmd)
	cmd.Flags().StringVar(&repo, "repo", "", "only pulls of this repository")
	cmd.Flags().StringVar(&user, "user", "", "only pulls by this user")
	cmd.Flags().StringVar(&since, "since", "", "only pulls since this long ago (24h) or this RFC 3339 time")
	cmd.Flags().IntVar(&limit, "limit", 100, "show at most this many pulls")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of a table")
	return cmd
}

func printPulls(w io.Writer, pulls []pulllog.PullEvent) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tREPOSITORY\tDIGEST\tREFERENCE\tPROTOCOL\tUSER")
	for _, p := range pulls {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.Time.Local().Format(time.DateTime), p.Repo,
			shortDigest(p.Digest), orDash(p.Reference), p.Protocol, p.User)
	}
	return tw.Flush()
}

func newLiveCmd() *cobra.Command {
	var (
		cf     clientFlags
		since  string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:     "live REPO",
		Short:   "Show which versions of a repository are being pulled: the live ones",
		Example: `  ballast live ml/cat-classifier --since 1h`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, path, err := cf.forRepo(args[0], "/live")
			if err != nil {
				return err
			}
			q := url.Values{}
			if since != "" {
				q.Set("since", since)
			}
			var live api.Live
			err = getAll(cmd.Context(), c, path, q, func(p *api.Live) string {
				live.Repo, live.Since = p.Repo, p.Since
				live.Digests = append(live.Digests, p.Digests...)
				return p.NextCursor
			})
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), live)
			}
			return printLive(cmd.OutOrStdout(), live)
		},
	}
	cf.register(cmd)
	cmd.Flags().StringVar(&since, "since", "", "pulled since this long ago (1h) or this RFC 3339 time (default: the server's, a day)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of a table")
	return cmd
}

func printLive(w io.Writer, l api.Live) error {
	fmt.Fprintf(w, "%s, pulled since %s:\n", l.Repo, l.Since.Local().Format(time.DateTime))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DIGEST\tKIND\tREFERENCE\tPULLS\tUSERS\tLAST PULL")
	for _, d := range l.Digests {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\n", shortDigest(d.Digest), d.Kind, orDash(d.LastReference),
			d.Pulls, d.Users, d.LastPull.Local().Format(time.DateTime))
	}
	return tw.Flush()
}
