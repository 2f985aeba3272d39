// Package config holds the settings of `ballast serve` and resolves them
// from, in increasing precedence: built-in defaults, an optional JSON config
// file, BALLAST_* environment variables, and command-line flags.
package config
