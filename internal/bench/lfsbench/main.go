package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/ballastml/ballast/internal/bench/benchkit"
)

// section is one part of the report.
type section struct {
	name  string
	title string
	run   func(*bench) error
}

var sections = []section{
	{"baseline", "the limit: openssl dgst -sha256 on a 1 GiB random file", (*bench).baseline},
	{"lfs", "git-lfs push and fetch (targets judged on the median of 3 runs), raw HTTP GET, each also against a null server (1 GiB incompressible file)", (*bench).lfs},
	{"scaleout", "git-lfs push and fetch of 1 GiB with the objects in MinIO and the metadata in PostgreSQL, against local disk and SQLite", (*bench).scaleout},
	{"rss", "server memory while receiving a 4 GiB upload, then four concurrent 1 GiB ones", (*bench).rss},
	{"rss-s3", "the same with the objects in MinIO and the metadata in PostgreSQL", (*bench).rssS3},
	{"replicas", "16 concurrent pushes to one replica and to two, on MinIO and PostgreSQL", (*bench).replicas},
	{"stall", "uploads that stop sending: another repository's upload of the same digest, and the server's memory with 150 stalled", (*bench).stall},
	{"dedup", "stored size after pushing through the server", (*bench).dedup},
	{"chunksize", "average chunk size, measured on the store package alone", (*bench).chunksize},
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func usage() error {
	var names []string
	for _, s := range sections {
		names = append(names, s.name)
	}
	return fmt.Errorf("usage: go run ./internal/bench/lfsbench all|SECTION...  (sections: %s)", strings.Join(names, ", "))
}

func run(args []string) error {
	todo, err := selectSections(args)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	b, err := newBench(ctx, os.Stdout)
	if err != nil {
		return err
	}
	defer b.close()

	b.printHeader()
	var failed []string
	for _, s := range todo {
		fmt.Fprintf(b.out, "\n== %s: %s\n", s.name, s.title)
		start := time.Now()
		err := s.run(b)
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted during %s", s.name)
		}
		if err != nil {
			fmt.Fprintf(b.out, "  FAILED: %v\n", err)
			failed = append(failed, s.name)
		}
		fmt.Fprintf(b.out, "  (%s took %s)\n", s.name, time.Since(start).Round(time.Second))
	}
	fmt.Fprintf(b.out, "\nload average at the end: %s\n", benchkit.LoadAverage())
	if len(failed) > 0 {
		return fmt.Errorf("failed sections: %s", strings.Join(failed, ", "))
	}
	return nil
}

func selectSections(args []string) ([]section, error) {
	if len(args) == 0 {
		return nil, usage()
	}
	if len(args) == 1 && args[0] == "all" {
		return sections, nil
	}
	var todo []section
next:
	for _, a := range args {
		for _, s := range sections {
			if s.name == a {
				todo = append(todo, s)
				continue next
			}
		}
		return nil, fmt.Errorf("unknown section %q; %w", a, usage())
	}
	return todo, nil
}

// bench is the state shared by the sections of one run. Inputs that more
// than one section needs are made on first use and kept for the run.
type bench struct {
	ctx  context.Context
	out  io.Writer
	root string // module root directory
	tmp  string // this run's temporary directory

	big        *dataFile    // the 1 GiB random file
	openssl    float64      // openssl dgst -sha256 MiB/s, 0 until measured
	ballastBin string       // built ballast binary
	bf16       [2]*dataFile // synthetic safetensors, versions 1 and 2
	models     *modelSet    // the real model files
}

func newBench(ctx context.Context, out io.Writer) (*bench, error) {
	gomod, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return nil, fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(gomod))
	if mod == "" || mod == os.DevNull {
		return nil, errors.New("run from inside the ballast module (go run ./internal/bench)")
	}
	tmp, err := os.MkdirTemp("", "ballast-bench-")
	if err != nil {
		return nil, err
	}
	return &bench{ctx: ctx, out: out, root: filepath.Dir(mod), tmp: tmp}, nil
}

// close removes everything the run wrote.
func (b *bench) close() {
	if err := os.RemoveAll(b.tmp); err != nil {
		fmt.Fprintln(os.Stderr, "bench: cleanup:", err)
	}
}

// dir creates and returns a new directory for one piece of work; it is
// removed with the rest of the run's temporary directory.
func (b *bench) dir(name string) (string, error) {
	return os.MkdirTemp(b.tmp, name+"-")
}

func (b *bench) printHeader() {
	fmt.Fprintf(b.out, "ballast benchmark, %s\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(b.out, "machine:  %s, %d CPUs, %s/%s, %s\n", cpuModel(), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	fmt.Fprintf(b.out, "load:     %s (load average at the start; other work on the machine skews every figure)\n", benchkit.LoadAverage())
	for _, tool := range [][]string{{"openssl", "version"}, {"git", "version"}, {"git-lfs", "version"}, {"curl", "--version"}} {
		fmt.Fprintf(b.out, "%-9s %s\n", tool[0]+":", toolVersion(b.ctx, tool...))
	}
	fmt.Fprintln(b.out, "units:    MiB = 2^20 bytes, GiB = 2^30 bytes; ratios compare with the openssl baseline")
}

func toolVersion(ctx context.Context, args ...string) string {
	out, err := exec.CommandContext(ctx, args[0], args[1:]...).Output()
	if err != nil {
		return "not found"
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line
}

// cpuModel is the first "model name" of /proc/cpuinfo, or "unknown CPU".
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for line := range strings.Lines(string(b)) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
