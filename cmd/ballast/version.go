package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// buildVersion is set at link time for releases
// (-ldflags "-X main.buildVersion=v1.2.3"); otherwise the module version
// the binary was built from, or "devel".
var buildVersion = ""

// versionInfo is what `ballast version` prints: the version, and the
// commit and its date when the binary was built from a Git checkout.
type versionInfo struct {
	Version, Commit, Date, Go string
	Modified                  bool
}

func readVersion() versionInfo {
	v := versionInfo{Version: buildVersion, Go: runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	if v.Version == "" {
		v.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Commit = s.Value
		case "vcs.time":
			v.Date = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	if v.Version == "" || v.Version == "(devel)" {
		v.Version = "devel"
	}
	return v
}

func (v versionInfo) String() string {
	s := "ballast " + v.Version
	if v.Commit != "" {
		s += ", commit " + v.Commit[:min(12, len(v.Commit))]
		if v.Date != "" {
			s += " of " + v.Date
		}
		if v.Modified {
			s += " (modified)"
		}
	}
	return s + ", " + v.Go
}

func newVersionCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit, build date and Go version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if asJSON {
				v := readVersion()
				return printJSON(cmd.OutOrStdout(), map[string]any{
					"version": v.Version, "commit": v.Commit, "date": v.Date, "go": v.Go, "modified": v.Modified,
				})
			}
			return printVersion(cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of a line")
	return cmd
}

func printVersion(w io.Writer) error {
	_, err := fmt.Fprintln(w, readVersion())
	return err
}
