package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/ballastml/ballast/internal/httpapi/adminapi"
)

func newGCCmd() *cobra.Command {
	var (
		cf      clientFlags
		grace   time.Duration
		asJSON  bool
		compact bool
	)
	cmd := &cobra.Command{
		Use:   "gc",
		Short: "Run a garbage collection pass on the server now",
		Long: `Run a garbage collection pass on a running server and print what it did: it
removes blobs deleted from every repository and the chunks and packs nothing uses any
more, and rewrites mostly unused packs with their live chunks. With --compact it first
compacts the staged uploads (chunks, deduplicates and packs them) now, rather than
leaving them to the background compactor, and waits for it.
The server also runs one every --reap-interval. By default the pass keeps what became
unreferenced within the server's --gc-grace; --grace overrides that (0s: delete
everything unreferenced now). Needs an admin token.`,
		Example: `  ballast gc
  ballast gc --grace 0s
  ballast gc --compact`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			req := adminapi.GCRequest{Compact: compact}
			if compact {
				c.NoTimeout() // compaction takes as long as the backlog needs; Ctrl-C stops waiting
			}
			if cmd.Flags().Changed("grace") {
				if grace < 0 {
					return fmt.Errorf("--grace %v: must not be negative", grace)
				}
				req.Grace = grace.String()
			}
			var res adminapi.GCResult
			if err := c.Do(cmd.Context(), http.MethodPost, adminapi.GCPath, req, &res); err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(res)
			}
			printGC(cmd.OutOrStdout(), res)
			return nil
		},
	}
	cf.register(cmd)
	cmd.Flags().DurationVar(&grace, "grace", 0, "keep what became unreferenced within this long (default: the server's --gc-grace)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the API's JSON")
	cmd.Flags().BoolVar(&compact, "compact", false, "compact staged uploads now, and wait for it")
	return cmd
}

func printGC(w io.Writer, r adminapi.GCResult) {
	if r.Compacted > 0 {
		fmt.Fprintf(w, "Compacted %d staged uploads (%s).\n", r.Compacted, formatSize(r.CompactedBytes))
	}
	fmt.Fprintf(w, "Garbage collection (grace %s): deleted %d blobs, %d chunks, %d packs; freed %s.\n",
		r.Grace, r.Blobs, r.Chunks, r.Packs, formatSize(r.FreedBytes))
	if r.Repacked > 0 {
		fmt.Fprintf(w, "Repacked %d mostly unused packs (copied %s of live chunks); the old ones go after the grace.\n",
			r.Repacked, formatSize(r.CopiedBytes))
	}
	if r.Noted > 0 {
		fmt.Fprintf(w, "%d more blobs are linked to no repository; a pass after the grace deletes them.\n", r.Noted)
	}
	if r.DeadBytes > 0 {
		fmt.Fprintf(w, "%s of unreferenced chunks remain in packs that also hold live ones.\n", formatSize(r.DeadBytes))
	}
	if r.StagedBytes > 0 {
		fmt.Fprintf(w, "%s of staged uploads wait for the background compactor (--compact: now).\n", formatSize(r.StagedBytes))
	}
}
