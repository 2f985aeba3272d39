package main

import (
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/ballastml/ballast/internal/bench/benchkit"
)

// command returns a command that runs in a process group of its own and
// is killed, with everything it started, when the run is interrupted.
func (b *bench) command(name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(b.ctx, name, args...)
	ownGroup(cmd, syscall.SIGKILL)
	cmd.WaitDelay = 5 * time.Second
	cmd.Env = benchkit.Environ()
	return cmd
}

// output runs cmd and returns its combined output; the error of a failed
// command ends with the last lines of that output.
func output(cmd *exec.Cmd) (string, error) {
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, lastLines(string(out), 20))
	}
	return string(out), nil
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
