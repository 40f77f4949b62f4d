package build

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// maxBundleBytes caps what gobi test places in an image: the bundle is a
// string constant compiled into the binary and loaded into guest memory.
const maxBundleBytes = 64 << 20

// TestFiles returns the files a test of p may read, as absolute host
// paths: the regular files in the package directory, its testdata tree
// (directories and symbolic links included), its other subdirectories as
// empty directories, and the parts of GOROOT that
// standard tests read (lib/time for time zones, src/testdata for shared
// test inputs), all under their real paths (GuestGOROOT, RealDir), not
// the build's shadow GOROOT. Hidden files and directories are skipped. A
// package under /tmp works too: bundled files are read-only in the guest,
// wherever they are, and /tmp itself stays writable.
func (b *Builder) TestFiles(p *Package) ([]string, error) {
	var files []string
	var total int64
	add := func(path string, fi fs.FileInfo) error {
		if !fi.Mode().IsRegular() && !fi.IsDir() && fi.Mode()&fs.ModeSymlink == 0 {
			return nil
		}
		total += fi.Size()
		if total > maxBundleBytes {
			return fmt.Errorf("the files for the tests of %s exceed %d MiB (at %s): move large inputs out of testdata", p.ImportPath, maxBundleBytes>>20, path)
		}
		files = append(files, path)
		return nil
	}
	entries, err := os.ReadDir(p.RealDir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") || e.Name() == "testdata" {
			continue
		}
		// Subdirectories (other packages) come as empty directories, so
		// that a listing of the package directory matches the host's.
		fi, err := e.Info()
		if err != nil {
			return nil, err
		}
		if err := add(filepath.Join(p.RealDir, e.Name()), fi); err != nil {
			return nil, err
		}
	}
	trees := []string{filepath.Join(p.RealDir, "testdata")}
	for _, dir := range []string{"lib/time", "src/testdata"} {
		trees = append(trees, filepath.Join(b.tc.GOROOT, filepath.FromSlash(dir)))
	}
	for _, tree := range trees {
		err := filepath.WalkDir(tree, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if os.IsNotExist(err) && path == tree {
					return fs.SkipDir
				}
				return err
			}
			if strings.HasPrefix(d.Name(), ".") && path != tree {
				if d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			return add(path, fi)
		})
		if err != nil {
			return nil, err
		}
	}
	return files, nil
}
