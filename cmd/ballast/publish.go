package main

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"oras.land/oras-go/v2/registry"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/retry"

	"github.com/ballastml/ballast/internal/client/push"
	"github.com/ballastml/ballast/internal/format/modelpack"
)

// publishFlags are the flags of `ballast publish`. Flag defaults stay
// empty and the environment is read at run time, so --help never prints
// a token.
type publishFlags struct {
	to, tag, pathFilter, dir   string
	username, password, lfsURL string
	plainHTTP, quiet           bool
}

func newPublishCmd() *cobra.Command {
	var f publishFlags
	cmd := &cobra.Command{
		Use:   "publish [REF] --to REGISTRY/REPO[:TAG]",
		Short: "Push the ModelPack artifact of a Git ref to an OCI registry",
		Long: `Publish reads the Git LFS pointer files of REF (default HEAD) in the Git
checkout around the current directory and pushes the commit's CNCF ModelPack
artifact to REGISTRY/REPO, any OCI registry: one raw layer per file, whose
digest is the file's LFS oid. It is the same artifact ballast publishes for a
Git tag of a connected repository.

The OCI tag is --tag, else the TAG of --to, else REF when it is a Git tag
(mapped to a valid OCI tag), else git-<first 12 hex digits of the commit>.

File bytes come from .git/lfs/objects; a file missing there is downloaded
from the Git LFS server at --lfs-url, by default the LFS endpoint of the same
repository on the target (REGISTRY/REPO.git/info/lfs), which is where it is
when the target is ballast. Blobs the registry already has are not uploaded.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref := "HEAD"
			if len(args) == 1 {
				ref = args[0]
			}
			return runPublish(cmd, f, ref)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.to, "to", "", "target REGISTRY/REPO[:TAG] (required)")
	fl.StringVar(&f.tag, "tag", "", "OCI tag to push (overrides the TAG of --to)")
	fl.StringVar(&f.pathFilter, "path-filter", "", "publish only files matching this gitignore-style pattern, such as models/** or *.onnx")
	fl.StringVarP(&f.dir, "directory", "C", ".", "run as if started in this directory")
	fl.StringVar(&f.username, "username", "", "registry user name (default \"ballast\" when a password is set)")
	fl.StringVar(&f.password, "password", "", "registry password or token (default $BALLAST_TOKEN)")
	fl.StringVar(&f.lfsURL, "lfs-url", "", "Git LFS endpoint to download missing objects from")
	fl.BoolVar(&f.plainHTTP, "plain-http", false, "talk to the registry over HTTP instead of HTTPS")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "print only REGISTRY/REPO@DIGEST")
	_ = cmd.MarkFlagRequired("to")
	return cmd
}

func runPublish(cmd *cobra.Command, f publishFlags, ref string) error {
	target, err := registry.ParseReference(f.to)
	if err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	if _, err := target.Digest(); err == nil {
		return errors.New("--to: give a tag, not a digest: the digest is what publishing computes")
	}
	co, err := push.OpenCheckout(f.dir)
	if err != nil {
		return err
	}
	commit, err := co.Commit(ref)
	if err != nil {
		return err
	}
	for _, p := range commit.Problems {
		fmt.Fprintln(cmd.ErrOrStderr(), "warning: skipped malformed pointer", p)
	}
	files := commit.Select(f.pathFilter)
	if len(files) == 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s has no Git LFS files to publish\n", ref)
	}
	art, err := modelpack.ModelPack(files, commit.Metadata(target.Repository, co.SourceURL()))
	if err != nil {
		return err
	}
	tag := cmp.Or(f.tag, target.Reference)
	if tag == "" && commit.Tag != "" {
		tag = modelpack.Tag(commit.Tag, "")
	}
	tag = cmp.Or(tag, modelpack.CommitTag(commit.SHA))

	repo, lfs, err := f.remote(target)
	if err != nil {
		return err
	}
	progress, done := newProgress(cmd.ErrOrStderr(), push.LayerBytes(art), "publishing", f.quiet)
	st, err := push.Artifact(cmd.Context(), repo, tag, art, push.Objects{Checkout: co, LFS: lfs}.Open, progress)
	done()
	if err != nil {
		return withPlainHTTPHint(err, f.plainHTTP, target.Registry)
	}
	return printPublished(cmd, f.quiet, target, tag, art, st)
}

// withPlainHTTPHint adds a hint to an error of talking TLS to a registry
// that answers plain HTTP: what such a registry needs is --plain-http.
func withPlainHTTPHint(err error, plainHTTP bool, host string) error {
	if !plainHTTP && strings.Contains(err.Error(), "server gave HTTP response to HTTPS client") {
		return fmt.Errorf("%w\n%s answers plain HTTP, not HTTPS: publish to it with --plain-http", err, host)
	}
	return err
}

// remote returns the target repository and the LFS server to download
// missing objects from, both with the credentials of the flags.
func (f publishFlags) remote(target registry.Reference) (*remote.Repository, *push.LFS, error) {
	repo, err := remote.NewRepository(target.Registry + "/" + target.Repository)
	if err != nil {
		return nil, nil, err
	}
	repo.PlainHTTP = f.plainHTTP
	cred := auth.Credential{Username: f.username, Password: cmp.Or(f.password, os.Getenv("BALLAST_TOKEN"))}
	if cred.Password != "" && cred.Username == "" {
		cred.Username = "ballast" // ballast reads the token and ignores the name
	}
	repo.Client = &auth.Client{Client: retry.DefaultClient, Cache: auth.NewCache(), Credential: auth.StaticCredential(target.Registry, cred)}
	scheme := "https"
	if f.plainHTTP {
		scheme = "http"
	}
	lfs := &push.LFS{
		URL:      cmp.Or(f.lfsURL, scheme+"://"+target.Registry+"/"+target.Repository+".git/info/lfs"),
		Username: cred.Username,
		Password: cred.Password,
	}
	return repo, lfs, nil
}

func printPublished(cmd *cobra.Command, quiet bool, target registry.Reference, tag string, art modelpack.Artifact, st push.Stats) error {
	out := cmd.OutOrStdout()
	name := target.Registry + "/" + target.Repository
	if quiet {
		_, err := fmt.Fprintf(out, "%s@%s\n", name, art.Descriptor.Digest)
		return err
	}
	_, err := fmt.Fprintf(out, "Published %s:%s (%d files; %d blobs uploaded, %d bytes; %d already present)\nDigest: %s\n",
		name, tag, len(art.Layers), st.Pushed, st.Bytes, st.Present, art.Descriptor.Digest)
	return err
}
