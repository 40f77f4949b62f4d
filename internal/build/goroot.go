package build

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/gobi-os/gobi"
)

// kernelImportPath is where the kernel appears inside a build: a path under
// GOROOT/src, so that the go command treats it as part of the standard
// library and standard-library packages under test may import it.
const kernelImportPath = "gobi/kernel"

// EntrySymbol is the kernel's 32-bit PVH entry point.
const EntrySymbol = kernelImportPath + ".pvhEntry"

// SandboxEntrySymbol is the process entry of a sandbox executable: it
// confines the process before the Go runtime's first instruction.
const SandboxEntrySymbol = kernelImportPath + ".sandboxEntry"

// shadowGOROOT returns a directory the go command accepts as GOROOT: every
// entry of the real GOROOT (and of its src) as a symbolic link, plus the
// kernel's source at src/gobi/kernel as real files. An overlay cannot
// provide the kernel: the go command runs the assembler inside the package
// directory, which must exist, and the assembler opens #include files by
// path. Compiled standard packages are cached independently of GOROOT's
// location, so builds under the shadow reuse the go command's cache.
//
// The shadow lives in the user's cache directory, named for the toolchain
// and a hash of the kernel source, and is created once, atomically.
func shadowGOROOT(tc Toolchain) (string, error) {
	files, err := kernelFiles()
	if err != nil {
		return "", fmt.Errorf("reading the embedded kernel source: %w", err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", tc.GOROOT, tc.Version)
	for _, f := range files {
		fmt.Fprintf(h, "%s\x00%d\x00%s", f.name, len(f.data), f.data)
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	dir := filepath.Join(base, "gobi", "goroot-"+tc.Version+"-"+hex.EncodeToString(h.Sum(nil)[:8]))
	now := time.Now()
	if _, err := os.Stat(dir); err == nil {
		os.Chtimes(dir, now, now) // in use: see pruneShadows
		return dir, nil
	}
	if err := makeShadow(tc.GOROOT, dir, files); err != nil {
		return "", fmt.Errorf("preparing the build GOROOT %s: %w", dir, err)
	}
	pruneShadows(filepath.Dir(dir), now.Add(-shadowMaxIdle))
	return dir, nil
}

// shadowMaxIdle is how long a shadow GOROOT stays after its last use. Every
// change to the kernel source makes a new one, so old ones are removed.
const shadowMaxIdle = 24 * time.Hour

// pruneShadows removes the shadow GOROOTs in dir last used before cutoff.
// It is best effort: a shadow that cannot be removed stays.
func pruneShadows(dir string, cutoff time.Time) {
	old, _ := filepath.Glob(filepath.Join(dir, "goroot-*"))
	for _, d := range old {
		if fi, err := os.Stat(d); err == nil && fi.ModTime().Before(cutoff) {
			os.RemoveAll(d)
		}
	}
}

// kernelFile is one file of the kernel source as a build sees it.
type kernelFile struct {
	name string // slash-separated, relative to the kernel directory
	data []byte
}

// kernelFiles returns the kernel's source files (.go, .s, .h; no tests, no
// testdata), with the kernel's module import path rewritten to
// kernelImportPath in Go files (imports and go:linkname targets alike).
func kernelFiles() ([]kernelFile, error) {
	files, err := sourceFiles(gobi.Kernel, "kernel")
	for i, f := range files {
		if path.Ext(f.name) == ".go" {
			files[i].data = bytes.ReplaceAll(f.data, []byte(gobi.KernelImportPath), []byte(kernelImportPath))
		}
		files[i].name = strings.TrimPrefix(f.name, "kernel/")
	}
	return files, err
}

// sourceFiles returns the build inputs under root in fsys: .go (not
// _test.go), .s and .h files, outside testdata directories.
func sourceFiles(fsys fs.FS, root string) ([]kernelFile, error) {
	var files []kernelFile
	err := fs.WalkDir(fsys, root, func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "testdata" {
				return fs.SkipDir
			}
			return nil
		}
		switch path.Ext(name) {
		case ".go":
			if strings.HasSuffix(name, "_test.go") {
				return nil
			}
		case ".s", ".h":
		default:
			return nil
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		files = append(files, kernelFile{name, data})
		return nil
	})
	return files, err
}

// makeShadow builds the shadow: the real GOROOT's entries as symbolic
// links, with the kernel's files at src/gobi/kernel.
func makeShadow(goroot, dir string, files []kernelFile) error {
	prefix := "src/" + kernelImportPath + "/"
	shadow := make([]kernelFile, len(files))
	for i, f := range files {
		shadow[i] = kernelFile{prefix + f.name, f.data}
	}
	return writeTree(dir, shadow, func(tmp string) error {
		if err := linkEntries(goroot, tmp, "src"); err != nil {
			return err
		}
		src := filepath.Join(tmp, "src")
		if err := os.Mkdir(src, 0o755); err != nil {
			return err
		}
		return linkEntries(filepath.Join(goroot, "src"), src, "gobi")
	})
}

// linkEntries symlinks every entry of from into to, except skip.
func linkEntries(from, to, skip string) error {
	entries, err := os.ReadDir(from)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Name() == skip {
			continue
		}
		if err := os.Symlink(filepath.Join(from, e.Name()), filepath.Join(to, e.Name())); err != nil {
			return err
		}
	}
	return nil
}
