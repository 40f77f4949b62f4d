package build

import (
	"fmt"
	"os"

	"github.com/gobi-os/gobi/kernel/memfs"
)

// bundleFile is the kernel file that holds the bundle (docs/hostabi.md);
// the overlay replaces it.
const bundleFile = "bundle.go"

// bundleSource reads files (absolute host paths of regular files, symbolic
// links and directories) and returns the Go source of the kernel's bundle
// holding them at the same paths, in the format of package memfs.
func bundleSource(files []string) ([]byte, error) {
	entries := make([]memfs.BundleFile, 0, len(files))
	for _, name := range files {
		fi, err := os.Lstat(name)
		if err != nil {
			return nil, err
		}
		e := memfs.BundleFile{Path: name, Mode: uint32(fi.Mode().Perm()), ModTime: fi.ModTime().UnixNano()}
		switch {
		case fi.Mode().IsRegular():
			e.Mode |= memfs.S_IFREG
			if e.Data, err = os.ReadFile(name); err != nil {
				return nil, err
			}
		case fi.IsDir():
			e.Mode |= memfs.S_IFDIR
		case fi.Mode()&os.ModeSymlink != 0:
			e.Mode |= memfs.S_IFLNK
			target, err := os.Readlink(name)
			if err != nil {
				return nil, err
			}
			e.Data = []byte(target)
		default:
			continue // devices, pipes and sockets have no place in an image
		}
		entries = append(entries, e)
	}
	bundle, err := memfs.EncodeBundle(entries)
	if err != nil {
		return nil, fmt.Errorf("bundling the test's files: %w", err)
	}
	return memfs.BundleSource(bundle), nil
}
