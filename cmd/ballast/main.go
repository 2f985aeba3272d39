package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
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
	}
	root.AddCommand(newServeCmd(), newTokenCmd(), newPinCmd(), newPublishCmd())
	root.AddCommand(newRepoCmd(), newLogCmd(), newWhichCmd(), newDiffCmd(), newGCCmd())
	return root
}
