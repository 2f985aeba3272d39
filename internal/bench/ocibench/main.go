package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/ballastml/ballast/internal/bench/benchkit"
)

const mib = 1 << 20

// targetRatio is the goal for ballast/distribution, push and pull.
const targetRatio = 1.5

func main() {
	size := flag.Int64("size", 1<<30, "size in bytes of the random file pushed and pulled")
	runs := flag.Int("runs", 3, "rounds of push and pull against each registry; the best is reported")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Stdout, *size, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "ocibench:", err)
		os.Exit(1)
	}
}

// figures are the MiB/s of every run against one registry.
type figures struct {
	push, pull []float64
}

func run(ctx context.Context, out io.Writer, size int64, runs int) error {
	if size <= 0 || runs <= 0 {
		return errors.New("-size and -runs must be positive")
	}
	oras, err := lookTool("oras")
	if err != nil {
		return err
	}
	registryBin, err := lookTool("registry")
	if err != nil {
		return err
	}
	root, err := moduleRoot(ctx)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "ballast-ocibench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	ballast, err := startBallast(ctx, root, tmp)
	if err != nil {
		return err
	}
	defer ballast.stop()
	distribution, err := startDistribution(ctx, registryBin, tmp)
	if err != nil {
		return err
	}
	defer distribution.stop()
	null, err := startNull(tmp)
	if err != nil {
		return err
	}
	defer null.stop()

	fmt.Fprintf(out, "OCI push and pull with oras, %s\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(out, "machine:      %d CPUs, %s/%s, %s\n", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	fmt.Fprintf(out, "oras:         %s\n", toolVersion(ctx, oras, "version"))
	fmt.Fprintf(out, "distribution: %s (filesystem storage, no auth)\n", toolVersion(ctx, registryBin, "--version"))
	fmt.Fprintf(out, "ballast:      built from this tree (local storage, token auth); after each push, untimed,\n")
	fmt.Fprintf(out, "              `ballast gc --compact` compacts the staged upload, so the pull reads it compacted\n")
	fmt.Fprintf(out, "null server:  in this process, no auth: counts uploaded bytes without hashing or storing them,\n")
	fmt.Fprintf(out, "              sends the file from disk with sendfile: the ceiling, oras's own limit\n")
	fmt.Fprintf(out, "file:         %s of random bytes, new for each run; MiB = 2^20 bytes\n", sizeString(size))
	fmt.Fprintf(out, "load:         %s (load average at the start; other work on the machine skews every figure)\n\n", benchkit.LoadAverage())

	file := filepath.Join(tmp, "model.bin")
	regs := []*registry{ballast, distribution, null}
	got := map[*registry]*figures{ballast: {}, distribution: {}, null: {}}
	for i := range runs {
		digest, err := writeRandom(ctx, file, size)
		if err != nil {
			return err
		}
		null.null.AddFile(digest, file, size)
		// Each run starts with the next server, so none always goes first.
		k := i % len(regs)
		order := append(slices.Clone(regs[k:]), regs[:k]...)
		for _, r := range order {
			push, pull, err := pushPull(ctx, oras, r, fmt.Sprintf("bench/run%d", i+1), file, size, tmp)
			if err != nil {
				return fmt.Errorf("%s, run %d: %w", r.name, i+1, err)
			}
			got[r].push = append(got[r].push, push)
			got[r].pull = append(got[r].pull, pull)
			fmt.Fprintf(out, "run %d  %-13s push %7.1f MiB/s   pull %7.1f MiB/s\n", i+1, r.name, push, pull)
		}
	}

	b, d, n := got[ballast], got[distribution], got[null]
	pushRatio := slices.Max(b.push) / slices.Max(d.push)
	pullRatio := slices.Max(b.pull) / slices.Max(d.pull)
	fmt.Fprintf(out, "\n%-30s %10s   %10s\n", fmt.Sprintf("best of %d", runs), "push MiB/s", "pull MiB/s")
	fmt.Fprintf(out, "  %-28s %10.1f   %10.1f\n", "ballast", slices.Max(b.push), slices.Max(b.pull))
	fmt.Fprintf(out, "  %-28s %10.1f   %10.1f\n", "distribution", slices.Max(d.push), slices.Max(d.pull))
	fmt.Fprintf(out, "  %-28s %10.1f   %10.1f\n", "null server (client limit)", slices.Max(n.push), slices.Max(n.pull))
	fmt.Fprintf(out, "  %-28s %10.2f   %10.2f   (target >= %.1f: push %s, pull %s)\n",
		"ballast/distribution", pushRatio, pullRatio, targetRatio, verdict(pushRatio), verdict(pullRatio))
	fmt.Fprintf(out, "  %-28s %10.2f   %10.2f   (ballast as a fraction of the ceiling)\n",
		"ballast/null server", slices.Max(b.push)/slices.Max(n.push), slices.Max(b.pull)/slices.Max(n.pull))
	fmt.Fprintf(out, "  %-28s %10.2f   %10.2f   (the most any server could reach over distribution)\n",
		"null server/distribution", slices.Max(n.push)/slices.Max(d.push), slices.Max(n.pull)/slices.Max(d.pull))
	fmt.Fprintf(out, "load average at the end: %s\n", benchkit.LoadAverage())
	return nil
}

func verdict(ratio float64) string {
	if ratio >= targetRatio {
		return "met"
	}
	return "not met"
}

// pushPull pushes file to repo of r with oras, lets r settle (ballast
// compacts the upload), pulls it back into an empty directory, and returns
// the MiB/s of the push and the pull.
func pushPull(ctx context.Context, oras string, r *registry, repo, file string, size int64, tmp string) (push, pull float64, err error) {
	ref := r.addr + "/" + repo + ":v1"
	name := filepath.Base(file)
	d, err := timed(ctx, filepath.Dir(file), r.env, oras, r.orasArgs("push", ref, name+":application/octet-stream")...)
	if err != nil {
		return 0, 0, err
	}
	push = benchkit.Rate(size, d)
	if r.settle != nil {
		if err := r.settle(ctx); err != nil {
			return 0, 0, err
		}
	}

	dst, err := os.MkdirTemp(tmp, "pull-")
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(dst)
	d, err = timed(ctx, dst, r.env, oras, r.orasArgs("pull", "-o", dst, ref)...)
	if err != nil {
		return 0, 0, err
	}
	// oras checks the digest of what it pulls; the size says it pulled it.
	if fi, err := os.Stat(filepath.Join(dst, name)); err != nil || fi.Size() != size {
		return 0, 0, fmt.Errorf("oras pull %s: %s is not the %d bytes pushed (%v)", ref, name, size, err)
	}
	return push, benchkit.Rate(size, d), nil
}

// timed runs a command in dir with env and returns how long it took.
func timed(ctx context.Context, dir string, env []string, name string, args ...string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
	defer cancel()
	cmd := command(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, env
	start := time.Now()
	out, err := cmd.CombinedOutput()
	d := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out)
	}
	return d, nil
}

func sizeString(n int64) string {
	if n%(1<<30) == 0 {
		return fmt.Sprintf("%d GiB", n>>30)
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/mib)
}

// lookTool finds a tool on PATH.
func lookTool(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%s not found on PATH: `make tools` installs it into .tools/bin (make bench puts that first on PATH)", name)
	}
	return p, nil
}

// toolVersion is the last word of the first line a version command
// prints: "1.3.6" of oras's "Version:    1.3.6".
func toolVersion(ctx context.Context, name string, args ...string) string {
	out, err := command(ctx, name, args...).Output()
	if err != nil {
		return "unknown"
	}
	for line := range strings.Lines(string(out)) {
		if f := strings.Fields(line); len(f) > 0 {
			return f[len(f)-1]
		}
	}
	return "unknown"
}

// moduleRoot is the directory of the ballast module this runs in.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run from inside the ballast module (go run ./internal/ocibench)")
	}
	return filepath.Dir(mod), nil
}
