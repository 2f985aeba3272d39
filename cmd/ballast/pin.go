package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ballastml/ballast/internal/client/pin"
)

type pinFlags struct {
	client    clientFlags // --server and --token: the ballast the token is for
	check     bool
	dryRun    bool
	verify    bool
	dropTag   bool
	plainHTTP bool
	username  string
	password  string
	set       []string
	only      []string
	// skipUnreachable: see pin.Pinner.SkipUnreachable.
	skipUnreachable bool
}

func newPinCmd() *cobra.Command {
	var f pinFlags
	cmd := &cobra.Command{
		Use:   "pin FILE|DIR...",
		Short: "Pin the OCI references in Kubernetes, Kustomize and Helm YAML to digests",
		Long: `Pin rewrites OCI references in YAML files from tags to digests, resolving
each tag against its registry: registry/repo:tag becomes
registry/repo:tag@sha256:… (the tag stays for people to read; the digest
decides what is pulled). Everything else in the file stays byte for byte.

It pins string values of "image" keys (containers, initContainers,
ephemeralContainers, …), image volumes (volumes[].image.reference), any
value starting with oci:// that names a tag (KServe storageUri, charts), any
string marked with a "# ballast:pin" comment (an init container's argument),
Kustomize "images:" entries with newTag, and Helm values "image:" maps with
repository and tag; the last two get a "digest:" key. References already
pinned are left alone. A directory stands for the .yaml and .yml files under
it. A file with any problem is left unchanged, and pin exits non-zero.

--set REPO:TAG first moves every reference to REPO to TAG, the step a
release usually does with sed; a reference whose tag ends in -image (the
image form ballast publishes next to each tag) moves to TAG-image.

Registry credentials: --username and --password for every registry; else
the ballast token (--token or BALLAST_TOKEN), sent only to the host of
--server or BALLAST_URL when one is set; else "docker login" credentials.
Registries on localhost are reached over HTTP; --plain-http for others.`,
		Example: `  ballast pin deploy/*.yaml
  ballast pin --check deploy/        # in CI: fail on anything unpinned
  ballast pin --set registry.example.com/ml/cat-classifier:v1.3.0 deploy/
  ballast pin --dry-run --drop-tag k8s/deployment.yaml`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.run(cmd, args)
		},
	}
	f.client.register(cmd)
	fl := cmd.Flags()
	fl.BoolVar(&f.check, "check", false, "change nothing; report every unpinned reference and exit non-zero if there is one")
	fl.BoolVar(&f.dryRun, "dry-run", false, "change nothing; print the changes as a diff")
	fl.BoolVar(&f.verify, "verify", false, "also check that pinned references still match their tag (or that their digest exists)")
	fl.BoolVar(&f.dropTag, "drop-tag", false, "write registry/repo@sha256:… instead of registry/repo:tag@sha256:…")
	fl.BoolVar(&f.plainHTTP, "plain-http", false, "reach registries over HTTP instead of HTTPS")
	fl.StringArrayVar(&f.set, "set", nil, "REPO:TAG: move references to REPO to TAG, then pin them; repeatable")
	fl.StringArrayVar(&f.only, "only", nil, "REGISTRY (host[:port]): pin only references to this registry and leave the others as they are; repeatable")
	fl.BoolVar(&f.skipUnreachable, "skip-unreachable", false, "leave references to registries that cannot be reached as they are (with a warning) instead of failing the file")
	fl.StringVar(&f.username, "username", "", "registry user name (default \"ballast\")")
	fl.StringVar(&f.password, "password", "", "registry password or token, sent to every registry")
	return cmd
}

func (f *pinFlags) run(cmd *cobra.Command, args []string) error {
	files, err := pinFiles(args)
	if err != nil {
		return err
	}
	p, err := f.pinner(cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	problems := 0
	for _, file := range files {
		problems += f.pinFile(cmd.Context(), p, file, cmd.OutOrStdout(), cmd.ErrOrStderr())
	}
	switch {
	case problems == 1:
		return errors.New("1 problem")
	case problems > 1:
		return fmt.Errorf("%d problems", problems)
	}
	return nil
}

// pinFile checks or pins one file and returns how many problems it has.
func (f *pinFlags) pinFile(ctx context.Context, p *pin.Pinner, file string, out, errOut io.Writer) int {
	src, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintln(errOut, err)
		return 1
	}
	if f.check {
		return printPinProblems(errOut, p.Check(ctx, file, src))
	}
	res, probs := p.Pin(ctx, file, src)
	if res != nil {
		for _, sk := range res.Skipped {
			fmt.Fprintf(errOut, "warning: left unpinned: %s\n", sk.Error())
		}
	}
	if len(probs) > 0 || !res.Changed() {
		return printPinProblems(errOut, probs)
	}
	if f.dryRun {
		fmt.Fprint(out, res.Diff())
		return 0
	}
	if err := pin.WriteFile(file, res.Out); err != nil {
		fmt.Fprintf(errOut, "%s: %v\n", file, err)
		return 1
	}
	for _, c := range res.Changes {
		fmt.Fprintf(out, "%s:%d: %s -> %s\n", file, c.Line, c.From, c.To)
	}
	return 0
}

func printPinProblems(w io.Writer, probs []pin.Problem) int {
	for _, p := range probs {
		fmt.Fprintln(w, p.Error())
	}
	return len(probs)
}

// pinner builds the Pinner for the flags and the environment.
func (f *pinFlags) pinner(warn io.Writer) (*pin.Pinner, error) {
	if f.username != "" && f.password == "" {
		return nil, errors.New("--username needs --password")
	}
	set, err := parseSet(f.set)
	if err != nil {
		return nil, err
	}
	if f.check && len(set) > 0 {
		return nil, errors.New("--check changes nothing; it cannot be combined with --set")
	}
	login := pin.Login{
		Username: f.username,
		Password: f.password,
		Token:    cmp.Or(f.client.token, os.Getenv("BALLAST_TOKEN")),
		Docker:   true,
	}
	if server := cmp.Or(f.client.server, os.Getenv("BALLAST_URL")); server != "" {
		u, err := url.Parse(server)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("server %q: want an http:// or https:// URL", server)
		}
		login.TokenHost = u.Host
	}
	cred, err := login.Credential()
	if err != nil {
		fmt.Fprintf(warn, "ballast: warning: ignoring Docker credentials: %v\n", err)
	}
	return &pin.Pinner{
		Resolver:        &pin.Registry{Credential: cred, PlainHTTP: f.plainHTTP},
		DropTag:         f.dropTag,
		Verify:          f.verify,
		Set:             set,
		Only:            f.only,
		SkipUnreachable: f.skipUnreachable,
	}, nil
}

// parseSet parses the --set values, REPO:TAG, into the map Pinner.Set
// wants.
func parseSet(values []string) (map[string]string, error) {
	set := make(map[string]string)
	for _, v := range values {
		ref, err := pin.ParseRef(v)
		if err != nil || ref.Tag == "" || ref.Pinned() {
			return nil, fmt.Errorf("--set %q: want REPO:TAG, e.g. registry.example.com/ml/cat-classifier:v1.3.0", v)
		}
		set[ref.Repository()] = ref.Tag
	}
	return set, nil
}

// pinFiles expands the arguments: a file stands for itself, a directory
// for the .yaml and .yml files under it, hidden directories skipped.
func pinFiles(args []string) ([]string, error) {
	var files []string
	for _, arg := range args {
		info, err := os.Stat(arg)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			files = append(files, arg)
			continue
		}
		err = filepath.WalkDir(arg, func(path string, d fs.DirEntry, err error) error {
			switch {
			case err != nil:
				return err
			case d.IsDir() && path != arg && strings.HasPrefix(d.Name(), "."):
				return filepath.SkipDir
			case !d.IsDir() && (filepath.Ext(path) == ".yaml" || filepath.Ext(path) == ".yml"):
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return files, nil
}
