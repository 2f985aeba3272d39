//go:build !unix

package main

import (
	"os/exec"
	"syscall"
)

// ownGroup leaves cmd as it is: without process groups a cancelled context
// kills the process itself.
func ownGroup(*exec.Cmd, syscall.Signal) {}

// signalGroup kills the process: other signals cannot be sent here.
func signalGroup(cmd *exec.Cmd, _ syscall.Signal) error {
	return cmd.Process.Kill()
}
