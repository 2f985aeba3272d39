package main

import (
	"bytes"
	"os"
	"testing"
)

// A progress bar is drawn only on a terminal: a pipe, a file or a buffer
// gets none, so scripts and logs see only the result.
func TestNoProgressBarOffATerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for name, w := range map[string]interface{ Write([]byte) (int, error) }{"file": f, "buffer": &bytes.Buffer{}} {
		add, done := newProgress(w, 1<<20, "publishing", false)
		if add != nil {
			t.Errorf("%s: a progress bar off a terminal", name)
		}
		done()
	}
	if fi, _ := f.Stat(); fi.Size() != 0 {
		t.Errorf("%d bytes written to a file that is not a terminal", fi.Size())
	}
}
