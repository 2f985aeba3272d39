package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// sileroNames are two versions of one real model (same layout, retrained),
// fetched into testdata/models by testdata/fetch-models.sh.
var sileroNames = []string{"silero_vad_v5.onnx", "silero_vad_v6.onnx"}

// modelSet is the result of looking for the real model files.
type modelSet struct {
	files []*dataFile
	skip  string // why there are no files, if there are none
}

// sileroModels returns the two silero versions, running the fetch script
// if they are missing. Without npm (which the script needs) it returns why
// the real-model figures are skipped instead of failing.
func (b *bench) sileroModels() (*modelSet, error) {
	if b.models != nil {
		return b.models, nil
	}
	dir := filepath.Join(b.root, "testdata", "models")
	if !allExist(dir, sileroNames) {
		if _, err := exec.LookPath("npm"); err != nil {
			b.models = &modelSet{skip: "npm not found, which testdata/fetch-models.sh needs to fetch the models"}
			return b.models, nil
		}
		b.printf("fetching the real models: testdata/fetch-models.sh")
		cmd := b.command("./testdata/fetch-models.sh")
		cmd.Dir = b.root
		if _, err := output(cmd); err != nil {
			return nil, err
		}
		if !allExist(dir, sileroNames) {
			return nil, errors.New("testdata/fetch-models.sh ran but the silero models are still missing")
		}
	}
	set := &modelSet{}
	for _, name := range sileroNames {
		f, err := hashFile(b, filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		set.files = append(set.files, f)
	}
	b.models = set
	return set, nil
}

func allExist(dir string, names []string) bool {
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			return false
		}
	}
	return true
}

// hashFile describes an existing file.
func hashFile(b *bench, path string) (*dataFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	oid, err := sha256Hex(b.ctx, f, fi.Size())
	if err != nil {
		return nil, fmt.Errorf("hashing %s: %w", path, err)
	}
	return &dataFile{path: path, size: fi.Size(), oid: oid}, nil
}

// totalSize is the sum of the files' sizes.
func totalSize(files []*dataFile) int64 {
	var n int64
	for _, f := range files {
		n += f.size
	}
	return n
}
