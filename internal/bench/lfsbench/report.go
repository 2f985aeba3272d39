package main

import (
	"fmt"
	"slices"
	"time"

	"github.com/ballastml/ballast/internal/bench/benchkit"
)

const (
	kib = 1 << 10
	mib = 1 << 20
	gib = 1 << 30
)

// timed runs fn and returns how long it took.
func timed(fn func() error) (time.Duration, error) {
	start := time.Now()
	err := fn()
	return time.Since(start), err
}

// size formats a byte count with a binary unit.
func size(n int64) string {
	for _, u := range []struct {
		n    int64
		name string
	}{{gib, "GiB"}, {mib, "MiB"}, {kib, "KiB"}} {
		if n >= u.n && n%u.n == 0 {
			return fmt.Sprintf("%d %s", n/u.n, u.name)
		}
	}
	switch {
	case n >= gib:
		return fmt.Sprintf("%.2f GiB", float64(n)/gib)
	case n >= 10*mib:
		return fmt.Sprintf("%.1f MiB", float64(n)/mib)
	case n >= mib:
		return fmt.Sprintf("%.2f MiB", float64(n)/mib)
	case n >= kib:
		return fmt.Sprintf("%.1f KiB", float64(n)/kib)
	}
	return fmt.Sprintf("%d B", n)
}

// ratio formats a/b, or "-" when b is 0.
func ratio(a, b int64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", float64(a)/float64(b))
}

// target is a goal from the issue: a throughput of at least min MiB/s.
type target struct {
	min  float64
	text string
}

// printRate prints one throughput: what moved, how fast, how that compares
// with the openssl baseline, and the target if there is one.
func (b *bench) printRate(label string, n int64, d time.Duration, goal *target) {
	r := benchkit.Rate(n, d)
	line := fmt.Sprintf("  %-44s %9s in %6.2f s %8.1f MiB/s  %5.2fx openssl", label, size(n), d.Seconds(), r, r/b.openssl)
	if goal != nil {
		verdict := "NOT MET"
		if r >= goal.min {
			verdict = "MET"
		}
		line += fmt.Sprintf("   target %s: %s", goal.text, verdict)
	}
	fmt.Fprintln(b.out, line)
}

// printf prints an indented line of the report.
func (b *bench) printf(format string, args ...any) {
	fmt.Fprintf(b.out, "  "+format+"\n", args...)
}

// median is the middle of ds, or the mean of the two middle ones.
func median(ds []time.Duration) time.Duration {
	s := slices.Sorted(slices.Values(ds))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
