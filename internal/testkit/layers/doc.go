// Package layers holds the test that enforces the module's dependency
// direction (docs/architecture.md, "Layers"): it lists every package with
// go list and fails on any import a layer may not make.
package layers
