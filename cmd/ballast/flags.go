package main

import (
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
	fl.StringVar(&f.server, "server", "", "ballast server URL (default $BALLAST_URL, else the one of ballast login)")
	fl.StringVar(&f.token, "token", "", "access token (default $BALLAST_TOKEN, else the one of ballast login)")
}

// client returns an API client for the flags, falling back to the
// environment and then to the login file (resolveServer).
func (f *clientFlags) client() (*apiclient.Client, error) {
	server, token, err := resolveServer(f.server, f.token)
	if err != nil {
		return nil, err
	}
	return apiclient.New(server, token)
}
