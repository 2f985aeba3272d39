package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// command returns a command that runs in a process group of its own and
// is killed, with everything it started, when the run is interrupted.
func (b *bench) command(name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(b.ctx, name, args...)
	ownGroup(cmd, syscall.SIGKILL)
	cmd.WaitDelay = 5 * time.Second
	cmd.Env = environ()
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

// environ is this process's environment without the variables that start
// with one of drop, and without proxy settings: every request of the run
// goes to 127.0.0.1 directly.
func environ(drop ...string) []string {
	drop = append(drop, "http_proxy=", "https_proxy=", "all_proxy=", "no_proxy=",
		"HTTP_PROXY=", "HTTPS_PROXY=", "ALL_PROXY=", "NO_PROXY=")
	var env []string
next:
	for _, kv := range os.Environ() {
		for _, p := range drop {
			if strings.HasPrefix(kv, p) {
				continue next
			}
		}
		env = append(env, kv)
	}
	return env
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
