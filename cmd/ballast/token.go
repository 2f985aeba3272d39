package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ballastml/ballast/internal/httpapi/adminapi"
)

func newTokenCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Manage access tokens",
		Long: `Manage access tokens on a running server. These commands need an admin
token (scope "*:admin"), given with --token or BALLAST_TOKEN.`,
	}
	cf.register(cmd)
	cmd.AddCommand(newTokenCreateCmd(&cf), newTokenListCmd(&cf), newTokenRevokeCmd(&cf))
	return cmd
}

func newTokenCreateCmd(cf *clientFlags) *cobra.Command {
	var (
		req     adminapi.CreateTokenRequest
		expires time.Duration
		quiet   bool
	)
	cmd := &cobra.Command{
		Use:   "create --user NAME --scope PATTERN:LEVEL [--scope ...]",
		Short: "Issue a token and print its secret, which is shown only once",
		Example: `  ballast token create --user alice --scope 'ml/*:write' --expires 720h
  TOKEN=$(ballast token create -q --user ci --scope 'ml/cat-classifier:read')`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			if req.ExpiresIn, err = expiresIn(expires); err != nil {
				return err
			}
			var tok adminapi.Token
			if err := c.Do(cmd.Context(), http.MethodPost, adminapi.TokensPath, req, &tok); err != nil {
				return err
			}
			printCreated(cmd.OutOrStdout(), tok, quiet)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.User, "user", "", "user the token is issued to")
	f.StringArrayVar(&req.Scopes, "scope", nil, "PATTERN:LEVEL to grant, e.g. 'ml/*:write' (level read, write or admin); repeatable")
	f.DurationVar(&expires, "expires", 0, "lifetime in whole seconds or more, e.g. 720h (default: never expires)")
	f.BoolVarP(&quiet, "quiet", "q", false, "print only the secret")
	cmd.MarkFlagRequired("user")
	cmd.MarkFlagRequired("scope")
	return cmd
}

// expiresIn converts --expires to the API's expires_in seconds.
func expiresIn(d time.Duration) (int64, error) {
	if d < 0 || (d > 0 && d < time.Second) {
		return 0, errors.New("--expires must be 0 (never) or at least 1s")
	}
	return int64(d / time.Second), nil
}

func printCreated(w io.Writer, tok adminapi.Token, quiet bool) {
	if quiet {
		fmt.Fprintln(w, tok.Secret)
		return
	}
	fmt.Fprintf(w, "Issued token %s to %s\n", tok.ID, tok.User)
	fmt.Fprintf(w, "  scopes:  %s\n", strings.Join(tok.Scopes, ", "))
	fmt.Fprintf(w, "  expires: %s\n", formatTime(tok.ExpiresAt, "never"))
	fmt.Fprintln(w, "Secret (store it now, it is not shown again):")
	fmt.Fprintln(w, tok.Secret)
}

func newTokenListCmd(cf *clientFlags) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List tokens, revoked and expired ones included (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			var list adminapi.TokenList
			if err := c.Do(cmd.Context(), http.MethodGet, adminapi.TokensPath, nil, &list); err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(list)
			}
			return printTokens(cmd.OutOrStdout(), list.Tokens)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the API's JSON instead of a table")
	return cmd
}

func printTokens(w io.Writer, toks []adminapi.Token) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUSER\tSCOPES\tCREATED\tEXPIRES\tLAST USED\tREVOKED")
	for _, t := range toks {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.User, strings.Join(t.Scopes, ","),
			formatTime(&t.CreatedAt, "-"), formatTime(t.ExpiresAt, "never"),
			formatTime(t.LastUsedAt, "-"), formatTime(t.RevokedAt, "-"))
	}
	return tw.Flush()
}

// formatTime shows t to the minute in local time, or none if t is nil.
func formatTime(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return t.Local().Format("2006-01-02 15:04")
}

func newTokenRevokeCmd(cf *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a token by its id (see ballast token list)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			path := adminapi.TokensPath + "/" + url.PathEscape(args[0])
			if err := c.Do(cmd.Context(), http.MethodDelete, path, nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Revoked token %s\n", args[0])
			return nil
		},
	}
}
