package apiclient

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// DefaultServer is the server the commands talk to when nothing names
// one: a local `ballast serve` with its defaults.
const DefaultServer = "http://127.0.0.1:8080"

// Login is what `ballast login` keeps: the server and the token for it.
type Login struct {
	Server string `json:"server"`
	Token  string `json:"token"`
}

// LoginPath is where the login is kept: ballast/login.json in the user's
// configuration directory (BALLAST_CONFIG_DIR overrides the directory).
func LoginPath() (string, error) {
	if dir := os.Getenv("BALLAST_CONFIG_DIR"); dir != "" {
		return filepath.Join(dir, "login.json"), nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "ballast", "login.json"), nil
}

// LoadLogin reads the login, or returns the zero Login if there is none.
func LoadLogin() (Login, error) {
	p, err := LoginPath()
	if err != nil {
		return Login{}, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return Login{}, nil
	}
	if err != nil {
		return Login{}, err
	}
	var l Login
	if err := json.Unmarshal(b, &l); err != nil {
		return Login{}, fmt.Errorf("login file %s: %w", p, err)
	}
	return l, nil
}

// Save writes the login, readable by the user alone (0600, in a 0700
// directory), and returns where.
func (l Login) Save() (string, error) {
	p, err := LoginPath()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return "", err
	}
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return "", err
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return "", err
	}
	return p, os.Rename(tmp, p)
}

// RemoveLogin deletes the login; none is not an error.
func RemoveLogin() (string, error) {
	p, err := LoginPath()
	if err != nil {
		return "", err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	return p, nil
}
