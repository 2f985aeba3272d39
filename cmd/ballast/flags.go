package main

import (
	"cmp"
	"os"

	"github.com/spf13/cobra"

	"github.com/ballastml/ballast/internal/client/apiclient"
)

// clientFlags are the flags of commands that talk to a running server.
// Flag defaults stay empty and the environment is read at run time, so
// --help never prints a token.
type clientFlags struct {
	server string
	token  string
}

func (f *clientFlags) register(cmd *cobra.Command) {
	fl := cmd.PersistentFlags()
	fl.StringVar(&f.server, "server", "", "ballast server URL (default $BALLAST_URL)")
	fl.StringVar(&f.token, "token", "", "access token (default $BALLAST_TOKEN)")
}

// client returns an API client for the flags, falling back to the
// environment.
func (f *clientFlags) client() (*apiclient.Client, error) {
	return apiclient.New(cmp.Or(f.server, os.Getenv("BALLAST_URL")), cmp.Or(f.token, os.Getenv("BALLAST_TOKEN")))
}
