package linuxguest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// CloudKernel is the Debian metapackage whose kernel the baseline boots: the
// smallest Debian kernel that still boots on QEMU's microvm and q35 machines.
const CloudKernel = "linux-image-cloud-amd64"

// Kernel is a Debian kernel package unpacked into the cache.
type Kernel struct {
	Package string // the versioned package, e.g. linux-image-6.1.0-56-cloud-amd64
	Version string // the kernel release, e.g. 6.1.0-56-cloud-amd64
	Image   string // path of the compressed kernel image (vmlinuz)
	Modules string // path of lib/modules/<Version>
}

// FetchKernel returns the kernel that metapackage currently depends on,
// downloading it with apt-get and unpacking it with dpkg -x under cacheDir on
// first use. Nothing is installed on the host: the host's /boot and
// /lib/modules are not touched.
func FetchKernel(ctx context.Context, cacheDir, metapackage string, log io.Writer) (*Kernel, error) {
	pkg, err := resolveMetapackage(ctx, metapackage)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(cacheDir, pkg)
	if k, err := unpackedKernel(pkg, dir); err == nil {
		return k, nil
	}
	fmt.Fprintf(log, "fetching %s (for %s) into %s\n", pkg, metapackage, dir)
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating kernel cache: %w", err)
	}
	tmp, err := os.MkdirTemp(cacheDir, pkg+".tmp")
	if err != nil {
		return nil, fmt.Errorf("creating kernel cache: %w", err)
	}
	defer os.RemoveAll(tmp)
	if out, err := command(ctx, tmp, "apt-get", "download", pkg); err != nil {
		return nil, fmt.Errorf("apt-get download %s: %w\n%s", pkg, err, out)
	}
	debs, _ := filepath.Glob(filepath.Join(tmp, pkg+"_*.deb"))
	if len(debs) != 1 {
		return nil, fmt.Errorf("apt-get download %s left %d packages in %s, want 1", pkg, len(debs), tmp)
	}
	root := filepath.Join(tmp, "root")
	if out, err := command(ctx, tmp, "dpkg", "-x", debs[0], root); err != nil {
		return nil, fmt.Errorf("dpkg -x %s: %w\n%s", debs[0], err, out)
	}
	if _, err := unpackedKernel(pkg, root); err != nil {
		return nil, err
	}
	// Rename last, so an interrupted download never looks complete.
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.Rename(root, dir); err != nil {
		return nil, fmt.Errorf("moving %s into the cache: %w", pkg, err)
	}
	return unpackedKernel(pkg, dir)
}

// resolveMetapackage returns the versioned linux-image package that a
// metapackage depends on; a name that is already versioned is returned as is.
func resolveMetapackage(ctx context.Context, metapackage string) (string, error) {
	out, err := command(ctx, "", "apt-cache", "depends", "--no-recommends", "--no-suggests", metapackage)
	if err != nil {
		return "", fmt.Errorf("apt-cache depends %s: %w\n%s(run scripts/setup, which runs apt-get update)", metapackage, err, out)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		dep, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "Depends: ")
		if ok && strings.HasPrefix(dep, "linux-image-") {
			return dep, nil
		}
	}
	// A versioned image package depends on no other image; unpackedKernel
	// rejects a package that holds no kernel.
	return metapackage, nil
}

// unpackedKernel finds the kernel image and module tree in an unpacked package.
func unpackedKernel(pkg, root string) (*Kernel, error) {
	images, _ := filepath.Glob(filepath.Join(root, "boot", "vmlinuz-*"))
	if len(images) != 1 {
		return nil, fmt.Errorf("%s holds %d boot/vmlinuz-* files, want 1", root, len(images))
	}
	version := strings.TrimPrefix(filepath.Base(images[0]), "vmlinuz-")
	mods := filepath.Join(root, "lib", "modules", version)
	if _, err := os.Stat(mods); err != nil {
		return nil, fmt.Errorf("%s has no modules for %s: %w", pkg, version, err)
	}
	return &Kernel{Package: pkg, Version: version, Image: images[0], Modules: mods}, nil
}

// command runs a tool in dir and returns its combined output.
func command(ctx context.Context, dir, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if _, ok := err.(*exec.Error); ok {
		return out, fmt.Errorf("%w: run scripts/setup", err)
	}
	return out, err
}
