package pin_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ballastml/ballast/internal/client/pin"
)

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "deploy.yaml")
	if err := os.WriteFile(name, []byte("old\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.yaml")
	if err := os.Symlink("deploy.yaml", link); err != nil {
		t.Fatal(err)
	}
	if err := pin.WriteFile(link, []byte("new\n")); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(name)
	if err != nil || string(got) != "new\n" {
		t.Fatalf("got %q, %v", got, err)
	}
	info, _ := os.Stat(name)
	if info.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", info.Mode().Perm())
	}
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
		t.Error("the symbolic link was replaced by a file")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("%d files in the directory, want 2 (no temporary file left)", len(entries))
	}
	if err := pin.WriteFile(filepath.Join(dir, "missing.yaml"), nil); err == nil {
		t.Error("WriteFile created a file that did not exist")
	}
}
