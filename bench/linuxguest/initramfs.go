package linuxguest

import (
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gobi-os/gobi/bench/linuxguest/newc"
)

// Guest paths that the /init wrapper (package bench/linuxguest/init) reads.
const (
	// PayloadPath is where the benchmarked program lives when /init is the
	// wrapper; the wrapper execs it after setting up the network.
	PayloadPath = "/payload"
	// ModulesDir holds the modules, named NN-name.ko so that loading them in
	// lexical order loads each dependency first.
	ModulesDir = "/modules"
)

// Initramfs describes the guest's root file system: nothing but /init, its
// console, and optionally the payload and modules the wrapper needs.
type Initramfs struct {
	Init    string   // host path of the static program that becomes /init
	Payload string   // host path of the program the wrapper runs, or ""
	Modules []string // host paths of modules in load order (ModuleLoadOrder)
}

// Write writes the initramfs as a gzip -9 compressed newc archive.
func (r Initramfs) Write(w io.Writer) error {
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	a := newc.NewWriter(zw)
	if err := a.Dir("dev", 0o755); err != nil {
		return err
	}
	// The kernel opens /dev/console for /init's stdin, stdout and stderr
	// (init/main.c, console_on_rootfs); the tty driver is 5:1.
	if err := a.CharDev("dev/console", 0o600, 5, 1); err != nil {
		return err
	}
	if err := addFile(a, "init", r.Init, 0o755); err != nil {
		return err
	}
	if r.Payload != "" {
		if err := addFile(a, strings.TrimPrefix(PayloadPath, "/"), r.Payload, 0o755); err != nil {
			return err
		}
	}
	if len(r.Modules) > 0 {
		dir := strings.TrimPrefix(ModulesDir, "/")
		if err := a.Dir(dir, 0o755); err != nil {
			return err
		}
		for i, m := range r.Modules {
			name := fmt.Sprintf("%s/%02d-%s", dir, i, filepath.Base(m))
			if err := addFile(a, name, m, 0o644); err != nil {
				return err
			}
		}
	}
	if err := a.Close(); err != nil {
		return err
	}
	return zw.Close()
}

// WriteFile writes the initramfs to path.
func (r Initramfs) WriteFile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := r.Write(f); err != nil {
		f.Close()
		return fmt.Errorf("writing initramfs %s: %w", path, err)
	}
	return f.Close()
}

// addFile copies a host file into the archive.
func addFile(a *newc.Writer, name, hostPath string, perm os.FileMode) error {
	data, err := os.ReadFile(hostPath)
	if err != nil {
		return fmt.Errorf("adding /%s to the initramfs: %w", name, err)
	}
	return a.File(name, perm, data)
}
