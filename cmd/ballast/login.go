package main

import (
	"bufio"
	"cmp"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ballastml/ballast/internal/client/apiclient"
)

func newLoginCmd() *cobra.Command {
	var tokenStdin bool
	cmd := &cobra.Command{
		Use:   "login [URL]",
		Short: "Remember a server and a token, so other commands need neither flags nor variables",
		Long: `Check the token against the server and keep both in a file readable by you
alone (ballast/login.json in your configuration directory). URL defaults to
` + apiclient.DefaultServer + `. The token comes from --token-stdin, else
BALLAST_TOKEN. --server, --token, BALLAST_URL and BALLAST_TOKEN still take
precedence over the file.`,
		Example: `  echo "$TOKEN" | ballast login https://models.example.com --token-stdin`,
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			server := apiclient.DefaultServer
			if len(args) == 1 {
				server = args[0]
			}
			token := os.Getenv("BALLAST_TOKEN")
			if tokenStdin {
				line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
				if err != nil && line == "" {
					return fmt.Errorf("--token-stdin: no token on standard input")
				}
				token = strings.TrimSpace(line)
			}
			c, err := apiclient.New(server, token)
			if err != nil {
				return err
			}
			if err := c.Check(cmd.Context()); err != nil {
				return err
			}
			p, err := apiclient.Login{Server: strings.TrimSuffix(server, "/"), Token: token}.Save()
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "logged in to %s (saved in %s)\n", server, p)
			return nil
		},
	}
	cmd.Flags().BoolVar(&tokenStdin, "token-stdin", false, "read the token from standard input")
	return cmd
}

func newLogoutCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "Forget the server and token that ballast login kept",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := apiclient.RemoveLogin()
			if err == nil {
				fmt.Fprintf(cmd.OutOrStdout(), "removed %s\n", p)
			}
			return err
		},
	}
}

// resolveServer picks the server and token: flags, then BALLAST_URL and
// BALLAST_TOKEN, then the login file; the token of the login file is used
// only for its own server.
func resolveServer(flagServer, flagToken string) (server, token string, err error) {
	server = cmp.Or(flagServer, os.Getenv("BALLAST_URL"))
	token = cmp.Or(flagToken, os.Getenv("BALLAST_TOKEN"))
	if server != "" && token != "" {
		return server, token, nil
	}
	l, err := apiclient.LoadLogin()
	if err != nil {
		return "", "", err
	}
	if server == "" {
		server = l.Server
	}
	if token == "" && strings.TrimSuffix(server, "/") == l.Server {
		token = l.Token
	}
	return server, token, nil
}
