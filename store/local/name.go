package local

import (
	"fmt"
	"io/fs"
	"strings"

	"github.com/ballastml/ballast/store"
)

// checkName applies the backend name grammar and reserves the temp
// directory as a first segment.
func checkName(name string) error {
	if err := store.CheckObjectName(name); err != nil {
		return err
	}
	if first, _, _ := strings.Cut(name, "/"); first == tmpDir {
		return fmt.Errorf("%w: object name %q uses the reserved %s directory", fs.ErrInvalid, name, tmpDir)
	}
	return nil
}
