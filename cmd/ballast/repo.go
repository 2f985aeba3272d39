package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ballastml/ballast/internal/client/apiclient"
	"github.com/ballastml/ballast/internal/httpapi/api"
	"github.com/ballastml/ballast/internal/platform/name"
)

func newRepoCmd() *cobra.Command {
	var cf clientFlags
	cmd := &cobra.Command{
		Use:   "repo",
		Short: "List repositories, connect them to Git and look at their indexing",
		Long: `Connect a ballast repository to the Git repository that holds its LFS
pointers, so ballast indexes its history and publishes its tags. Connecting
and disconnecting need admin access to the repository, syncing write access.`,
	}
	cf.register(cmd)
	cmd.AddCommand(newRepoListCmd(&cf), newRepoCreateCmd(&cf), newRepoDeleteCmd(&cf), newRepoConnectCmd(&cf), newRepoSyncCmd(&cf), newRepoShowCmd(&cf), newRepoDisconnectCmd(&cf))
	return cmd
}

func newRepoListCmd(cf *clientFlags) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the repositories the token can read",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := cf.client()
			if err != nil {
				return err
			}
			repos := []string{}
			err = getAll(cmd.Context(), c, api.Prefix+"repos", url.Values{}, func(p *api.Repos) string {
				repos = append(repos, p.Repos...)
				return p.NextCursor
			})
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), repos)
			}
			for _, r := range repos {
				fmt.Fprintln(cmd.OutOrStdout(), r)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of one name a line")
	return cmd
}

// forRepo returns an API client and the path of an endpoint of repo, such
// as "/git".
func (f *clientFlags) forRepo(repo, endpoint string) (*apiclient.Client, string, error) {
	if err := name.ValidateRepo(repo); err != nil {
		return nil, "", err
	}
	c, err := f.client()
	return c, api.Prefix + "repos/" + repo + endpoint, err
}

func newRepoCreateCmd(cf *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "create REPO",
		Short: "Create an empty repository (needs admin access to its name)",
		Long: `Create an empty repository. By default a push creates its repository only
for a token with admin access to the name (ballast serve --create-repos), so
that a typo in a name is an error and not a new repository; create the
repository first and writers can push to it.`,
		Example: `  ballast repo create ml/cat-classifier`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, path, err := cf.forRepo(args[0], "")
			if err != nil {
				return err
			}
			var out api.Repo
			if err := c.Do(cmd.Context(), http.MethodPut, path, nil, &out); err != nil {
				return err
			}
			if out.Created {
				fmt.Fprintf(cmd.OutOrStdout(), "Created %s\n", out.Name)
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "%s already exists\n", out.Name)
			}
			return nil
		},
	}
}

func newRepoDeleteCmd(cf *clientFlags) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "delete REPO",
		Short: "Delete a repository and everything it holds (needs admin access to its name)",
		Long: `Delete a repository: its links to stored blobs, OCI manifests and tags,
Git connection and index, locks and upload sessions. Blobs no other
repository links are deleted by garbage collection once unlinked for the
grace (ballast serve --gc-grace). The pull log keeps its history. Asks for
the name again unless --yes is given.`,
		Example: `  ballast repo delete ml/old-experiment`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, path, err := cf.forRepo(args[0], "")
			if err != nil {
				return err
			}
			if !yes {
				fmt.Fprintf(cmd.ErrOrStderr(), "This deletes %s and everything it holds. Type its name to confirm: ", args[0])
				line, err := bufio.NewReader(io.LimitReader(cmd.InOrStdin(), 4096)).ReadString('\n')
				if err != nil && !errors.Is(err, io.EOF) {
					return err
				}
				if strings.TrimSpace(line) != args[0] {
					return fmt.Errorf("not deleted: the name typed is not %s", args[0])
				}
			}
			if err := c.Do(cmd.Context(), http.MethodDelete, path, nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Deleted %s\n", args[0])
			return nil
		},
	}
	cmd.Flags().BoolVar(&yes, "yes", false, "do not ask for confirmation")
	return cmd
}

func newRepoConnectCmd(cf *clientFlags) *cobra.Command {
	var (
		req           api.ConnectRequest
		passwordStdin bool
	)
	cmd := &cobra.Command{
		Use:   "connect REPO --git URL",
		Short: "Connect a repository to its Git repository",
		Example: `  ballast repo connect ml/cat-classifier --git https://github.com/acme/cat-classifier.git --tag-pattern 'v*'
  echo "$GIT_TOKEN" | ballast repo connect ml/x --git https://git.example.com/ml/x.git --username bot --password-stdin`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, path, err := cf.forRepo(args[0], "/git")
			if err != nil {
				return err
			}
			if passwordStdin {
				if req.Password, err = readPassword(cmd.InOrStdin()); err != nil {
					return err
				}
			}
			var st api.GitStatus
			if err := c.Do(cmd.Context(), http.MethodPut, path, req, &st); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Connected %s to %s\nIndex it now with: ballast repo sync %s\n", st.Repo, st.Git.URL, st.Repo)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.URL, "git", "", "URL of the Git repository (https://… or a local path)")
	f.StringVar(&req.TagPattern, "tag-pattern", "", "publish only tags matching this pattern, e.g. 'v*' (default: every tag)")
	f.StringVar(&req.PathFilter, "path-filter", "", "publish only files matching this pattern, e.g. 'models/**' (default: every file)")
	f.StringVar(&req.ImageRoot, "image-root", "", "the Git directory the image form (<tag>-image) places at /models: / for the repository root, or a directory such as models/llama (default: the deepest directory holding every published file)")
	f.StringVar(&req.Username, "username", "", "user name for the Git remote")
	f.BoolVar(&passwordStdin, "password-stdin", false, "read the Git remote's password or token from standard input")
	f.BoolVar(&req.NoCheck, "no-check", false, "save the connection without checking that the remote answers (for one that does not exist yet)")
	cmd.MarkFlagRequired("git")
	return cmd
}

// readPassword reads the first line of r.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 64<<10)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", errors.New("--password-stdin: standard input is empty")
	}
	return pw, nil
}

func newRepoSyncCmd(cf *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "sync REPO",
		Short: "Fetch and index the Git repository now",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, path, err := cf.forRepo(args[0], "/git/sync")
			if err != nil {
				return err
			}
			var res api.SyncResult
			if err := c.Do(cmd.Context(), http.MethodPost, path, nil, &res); err != nil {
				return err
			}
			return printSync(cmd.OutOrStdout(), res)
		},
	}
}

func printSync(w io.Writer, res api.SyncResult) error {
	fmt.Fprintf(w, "Synced %s: %d new commits, %d refs changed, %d problems\n",
		res.Repo, res.NewCommits, len(res.Changed), len(res.Problems))
	if len(res.Changed) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "KIND\tREF\tOLD\tNEW")
		for _, c := range res.Changed {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Kind, c.Name, orDash(short(c.Old)), orDash(short(c.New)))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return printProblems(w, res.Problems)
}

func newRepoShowCmd(cf *clientFlags) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show REPO",
		Short: "Show a repository's Git connection, refs and indexing problems",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, path, err := cf.forRepo(args[0], "/git")
			if err != nil {
				return err
			}
			var st api.GitStatus
			if err := c.Do(cmd.Context(), http.MethodGet, path, nil, &st); err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), st)
			}
			return printGitStatus(cmd.OutOrStdout(), st)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the API's JSON instead of text")
	return cmd
}

func printGitStatus(w io.Writer, st api.GitStatus) error {
	fmt.Fprintf(w, "Repository:  %s\n", st.Repo)
	fmt.Fprintf(w, "Git:         %s\n", st.Git.URL)
	if st.Git.Username != "" || st.Git.PasswordSet {
		fmt.Fprintf(w, "Username:    %s (password set: %t)\n", orDash(st.Git.Username), st.Git.PasswordSet)
	}
	fmt.Fprintf(w, "Tag pattern: %s\n", orDefault(st.Git.TagPattern, "every tag"))
	fmt.Fprintf(w, "Path filter: %s\n", orDefault(st.Git.PathFilter, "every path"))
	fmt.Fprintf(w, "Image root:  %s\n", orDefault(st.Git.ImageRoot, "the folder holding every published file"))
	fmt.Fprintf(w, "Last sync:   %s\n", formatTime(st.LastSync, "never"))
	if st.LastError != "" {
		fmt.Fprintf(w, "Last error:  %s\n", st.LastError)
	}
	if len(st.Refs) > 0 {
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "KIND\tREF\tCOMMIT")
		for _, r := range st.Refs {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Kind, r.Name, short(r.Commit))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if err := printProblems(w, st.Problems); err != nil {
		return err
	}
	if err := printPending(w, st.Pending); err != nil {
		return err
	}
	if st.NextCursor != "" {
		fmt.Fprintln(w, "(more problems: see --json and the API's next_cursor)")
	}
	return nil
}

func printPending(w io.Writer, ps []api.Pending) error {
	if len(ps) == 0 {
		return nil
	}
	fmt.Fprintln(w, "\nWaiting for LFS objects (published when they arrive):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TAG\tCOMMIT\tMISSING")
	for _, p := range ps {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", orDefault(p.Tag, "-"), short(p.Commit), strings.Join(p.Missing, " "))
	}
	return tw.Flush()
}

func printProblems(w io.Writer, ps []api.Problem) error {
	if len(ps) == 0 {
		return nil
	}
	fmt.Fprintln(w, "\nProblems:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "COMMIT\tPATH\tKIND\tDETAIL")
	for _, p := range ps {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", short(p.Commit), p.Path, p.Kind, p.Detail)
	}
	return tw.Flush()
}

func newRepoDisconnectCmd(cf *clientFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "disconnect REPO",
		Short: "Disconnect a repository from its Git repository",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, path, err := cf.forRepo(args[0], "/git")
			if err != nil {
				return err
			}
			if err := c.Do(cmd.Context(), http.MethodDelete, path, nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Disconnected %s\n", args[0])
			return nil
		},
	}
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func orDash(s string) string { return orDefault(s, "-") }

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
