package build

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// overlay is a go build -overlay file (go help build, "-overlay file"): a
// map from paths the go command sees to files in a temporary directory. It
// adds the file that imports the kernel to the package being built, and the
// test files' bundle to the kernel, without touching either on disk.
type overlay struct {
	dir     string
	replace map[string]string

	// workfile, if set, is a temporary go.work the build runs in (GOWORK):
	// it adds gobi's guest packages to a user's module (netmodule.go).
	workfile string
}

func newOverlay() (*overlay, error) {
	dir, err := os.MkdirTemp("", "gobi-build-")
	if err != nil {
		return nil, fmt.Errorf("creating build directory: %w", err)
	}
	return &overlay{dir: dir, replace: map[string]string{}}, nil
}

// add makes the go command see data at target.
func (o *overlay) add(target string, data []byte) error {
	file := filepath.Join(o.dir, fmt.Sprintf("%d-%s", len(o.replace), filepath.Base(target)))
	if err := os.WriteFile(file, data, 0o644); err != nil {
		return fmt.Errorf("writing overlay file: %w", err)
	}
	o.replace[target] = file
	return nil
}

// write saves the overlay's JSON description and returns its path.
func (o *overlay) write() (string, error) {
	data, err := json.Marshal(struct{ Replace map[string]string }{o.replace})
	if err != nil {
		return "", err
	}
	file := filepath.Join(o.dir, "overlay.json")
	return file, os.WriteFile(file, data, 0o644)
}

func (o *overlay) close() error {
	if o.workfile != "" {
		os.Remove(o.workfile)
		os.Remove(o.workfile + ".sum")
	}
	return os.RemoveAll(o.dir)
}
