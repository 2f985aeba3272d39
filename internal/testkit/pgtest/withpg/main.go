// Command withpg starts a PostgreSQL server (pgtest), runs a command with
// BALLAST_TEST_POSTGRES set to the server's URL, stops the server and exits
// with the command's status:
//
//	go run ./internal/testkit/pgtest/withpg go test ./store/...
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"

	"github.com/ballastml/ballast/internal/testkit/pgtest"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: withpg COMMAND [ARG...]")
		os.Exit(2)
	}
	srv, err := pgtest.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "withpg: a real PostgreSQL is needed:", err)
		os.Exit(1)
	}
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), "BALLAST_TEST_POSTGRES="+srv.DSN("postgres"))
	err = cmd.Run()
	srv.Close()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		os.Exit(exit.ExitCode())
	case err != nil:
		fmt.Fprintln(os.Stderr, "withpg:", err)
		os.Exit(1)
	}
}
