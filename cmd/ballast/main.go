package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	if err := newRootCmd().ExecuteContext(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "ballast:", err)
		os.Exit(1)
	}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "ballast",
		Short:         "Git-native model registry: a Git LFS server and OCI registry over one deduplicated store",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       readVersion().String(),
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.AddCommand(newServeCmd(), newTokenCmd(), newPinCmd(), newPublishCmd())
	root.AddCommand(newRepoCmd(), newLogCmd(), newWhichCmd(), newDiffCmd(), newGCCmd(), newVersionCmd())
	root.AddCommand(newLoginCmd(), newLogoutCmd(), newPullsCmd(), newLiveCmd(), newStatsCmd())
	return root
}
