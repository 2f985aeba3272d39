package main

import (
	"fmt"
	"io"
	"net/http"
	"text/tabwriter"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/ballastml/ballast/internal/httpapi/api"
)

func newStatsCmd() *cobra.Command {
	var (
		cf     clientFlags
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Show how much each repository holds, and what the store takes on disk",
		Long: `Show, for each repository the token can read, its blobs and their size
(before deduplication: a blob two repositories share counts in both), and,
with a "*:admin" token, the whole store: its blobs once each, what they take
after deduplication and compression, what still waits for the compactor,
and the size of the packs.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			var st api.Stats
			if err := c.Do(cmd.Context(), http.MethodGet, api.Prefix+"stats", nil, &st); err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), st)
			}
			return printStats(cmd.OutOrStdout(), st)
		},
	}
	cf.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of text")
	return cmd
}

func printStats(w io.Writer, st api.Stats) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "REPOSITORY\tBLOBS\tSIZE")
	for _, r := range st.Repos {
		fmt.Fprintf(tw, "%s\t%d\t%s\n", r.Repo, r.Blobs, humanize.IBytes(uint64(r.LogicalBytes)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if t := st.Total; t != nil {
		ratio := "-"
		if t.StoredBytes > 0 {
			ratio = fmt.Sprintf("%.2fx", float64(t.LogicalBytes)/float64(t.StoredBytes))
		}
		fmt.Fprintf(w, "\nStore: %d blobs, %s; stored %s (%s smaller), of which %s staged for the compactor; packs %s\n",
			t.Blobs, humanize.IBytes(uint64(t.LogicalBytes)), humanize.IBytes(uint64(t.StoredBytes)), ratio,
			humanize.IBytes(uint64(t.StagedBytes)), humanize.IBytes(uint64(t.PackBytes)))
	}
	return nil
}
