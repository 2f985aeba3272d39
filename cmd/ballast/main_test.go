package main

import (
	"os"
	"testing"
)

// TestMain keeps the commands away from the login file of whoever runs the
// tests: each test that wants one makes its own (TestLogin).
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ballast-config-")
	if err != nil {
		panic(err)
	}
	os.Setenv("BALLAST_CONFIG_DIR", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
