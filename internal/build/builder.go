package build

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/gobi-os/gobi/internal/image"
)

// Targets a program can be built for.
const (
	TargetQEMU    = "qemu"    // a Gobi image for QEMU's -kernel
	TargetSandbox = "sandbox" // a seccomp-confined process with the Gobi kernel inside (docs/sandbox.md)
	TargetHost    = "host"    // an ordinary executable for this machine
)

// sandboxTag is the build tag that selects the kernel's sandbox platform.
const sandboxTag = "gobisandbox"

// Options configure a Builder.
type Options struct {
	Target  string    // TargetQEMU, TargetSandbox or TargetHost
	Arch    string    // guest architecture; only amd64 is supported
	Tags    string    // go build -tags
	LDFlags string    // extra go build -ldflags, after gobi's own
	Log     io.Writer // one line per build step; nil for none
}

// Builder builds packages with one checked toolchain.
type Builder struct {
	opts   Options
	tc     Toolchain
	goroot string // GOROOT for the go command: a shadow one for images
}

// New checks the options and the go toolchain.
func New(ctx context.Context, opts Options) (*Builder, error) {
	switch opts.Target {
	case TargetQEMU, TargetSandbox, TargetHost:
	default:
		return nil, fmt.Errorf("unknown -target %q: want qemu, sandbox or host", opts.Target)
	}
	if opts.Arch == "" {
		opts.Arch = "amd64"
	}
	if opts.Arch != "amd64" {
		return nil, fmt.Errorf("unsupported -arch %q: gobi builds amd64 images only for now", opts.Arch)
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	tc, err := CheckToolchain(ctx)
	if err != nil {
		return nil, err
	}
	b := &Builder{opts: opts, tc: tc, goroot: tc.GOROOT}
	b.logf("using %s (%s)", tc.Version, tc.GOROOT)
	if opts.Target != TargetHost {
		if b.goroot, err = shadowGOROOT(tc); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// GuestGOROOT returns the GOROOT a test sees in the guest: the real one,
// where TestFiles places the files it reads.
func (b *Builder) GuestGOROOT() string { return b.tc.GOROOT }

func (b *Builder) logf(format string, args ...any) {
	fmt.Fprintf(b.opts.Log, "gobi: "+format+"\n", args...)
}

// goEnv is the environment added for go commands: the image's platform, or
// nothing for host builds; cgo on only to let go list find cgo files.
func (b *Builder) goEnv(listCgo bool) []string {
	env := []string{"GOTOOLCHAIN=local"}
	if b.opts.Target == TargetHost {
		return env
	}
	env = append(env, "GOROOT="+b.goroot)
	cgo := "CGO_ENABLED=0"
	if listCgo {
		cgo = "CGO_ENABLED=1"
	}
	return append(env, "GOOS=linux", "GOARCH="+b.opts.Arch, cgo)
}

// BuildProgram builds the main package p into the executable out: a Gobi
// image for TargetQEMU, a host executable for TargetHost.
func (b *Builder) BuildProgram(ctx context.Context, p *Package, out string) error {
	if p.Name != "main" {
		return fmt.Errorf("%s is package %s, not a command (package main)", p.ImportPath, p.Name)
	}
	if b.opts.Target == TargetHost {
		b.logf("compiling %s for the host", p.ImportPath)
		return b.goCmd(ctx, p, "build", nil, out)
	}
	o, err := newOverlay()
	if err != nil {
		return err
	}
	defer o.close()
	imports := []string{kernelImportPath}
	net, err := b.usesNet(ctx, p)
	if err != nil {
		return err
	}
	if net {
		b.logf("%s uses package net: adding the network stack (virtio-net, gVisor)", p.ImportPath)
		imports = append(imports, netImportPath)
		if o.workfile, err = b.netWorkspace(ctx, p); err != nil {
			return err
		}
	}
	if err := o.add(filepath.Join(p.Dir, "zz_gobi_kernel.go"), kernelImport("main", imports...)); err != nil {
		return err
	}
	b.logf("compiling %s with the Gobi kernel for %s/%s", p.ImportPath, b.opts.Target, b.opts.Arch)
	if err := b.goCmd(ctx, p, "build", o, out); err != nil {
		return err
	}
	if note := zoneNote(out); note != "" {
		b.logf("%s", note)
	}
	return b.finish(out)
}

// BuildTest builds the test binary of p into out, with files (absolute
// host paths) bundled into the image at the same paths.
func (b *Builder) BuildTest(ctx context.Context, p *Package, out string, files []string) error {
	if b.opts.Target == TargetHost {
		b.logf("compiling the tests of %s for the host", p.ImportPath)
		return b.goCmd(ctx, p, "test", nil, out)
	}
	o, err := newOverlay()
	if err != nil {
		return err
	}
	defer o.close()
	// An external test file imports the kernel: from the package itself the
	// import could close a cycle (the kernel imports standard packages).
	if err := o.add(filepath.Join(p.Dir, "zz_gobi_kernel_test.go"), kernelImport(p.Name+"_test", kernelImportPath)); err != nil {
		return err
	}
	if len(files) > 0 {
		b.logf("bundling %d files", len(files))
		src, err := bundleSource(files)
		if err != nil {
			return err
		}
		if err := o.add(filepath.Join(b.goroot, "src", filepath.FromSlash(kernelImportPath), bundleFile), src); err != nil {
			return err
		}
	}
	b.logf("compiling the tests of %s with the Gobi kernel for %s/%s", p.ImportPath, b.opts.Target, b.opts.Arch)
	if err := b.goCmd(ctx, p, "test", o, out); err != nil {
		return err
	}
	return b.finish(out)
}

// finish turns a linked executable into a bootable image (a sandbox
// executable needs nothing more).
func (b *Builder) finish(out string) error {
	if b.opts.Target == TargetQEMU {
		b.logf("writing the PVH entry note into %s", out)
		if err := image.PatchPVH(out); err != nil {
			return err
		}
	}
	if fi, err := os.Stat(out); err == nil {
		b.logf("built %s (%.1f MB)", out, float64(fi.Size())/1e6)
	}
	return nil
}

// kernelImport is the file the overlay adds to the package being built: it
// links the kernel (and, for a program using the network, its stack).
func kernelImport(pkgName string, paths ...string) []byte {
	src := "// Code added by gobi build: links the Gobi kernel into this program.\n\npackage " + pkgName + "\n\n"
	for _, p := range paths {
		src += "import _ \"" + p + "\"\n"
	}
	return []byte(src)
}

// tags is the go command's -tags: the user's, and the kernel's platform.
func (b *Builder) tags() string {
	if b.opts.Target == TargetSandbox {
		return strings.TrimLeft(b.opts.Tags+","+sandboxTag, ",")
	}
	return b.opts.Tags
}

// goCmd runs go build or go test -c for p, writing out (relative to
// gobi's working directory, not the one the go command runs in).
func (b *Builder) goCmd(ctx context.Context, p *Package, verb string, o *overlay, out string) error {
	out, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	args := []string{verb}
	if verb == "test" {
		args = append(args, "-c", "-vet=off") // vet cannot read overlaid directories
	}
	args = append(args, "-o", out)
	if tags := b.tags(); tags != "" {
		args = append(args, "-tags", tags)
	}
	ldflags := b.opts.LDFlags
	if o != nil {
		file, err := o.write()
		if err != nil {
			return err
		}
		args = append(args, "-overlay", file)
		link := image.LinkFlags(EntrySymbol)
		if b.opts.Target == TargetSandbox {
			link = "-E " + SandboxEntrySymbol
		}
		ldflags = strings.TrimSpace(link + " " + ldflags)
	}
	if ldflags != "" {
		args = append(args, "-ldflags", ldflags)
	}
	args = append(args, p.ImportPath)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = p.runDir
	cmd.Env = append(cmd.Environ(), b.goEnv(false)...)
	if o != nil && o.workfile != "" {
		cmd.Env = append(cmd.Env, "GOWORK="+o.workfile)
	}
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s %s: %v\n%s", verb, p.ImportPath, err, bytes.TrimSpace(output.Bytes()))
	}
	if _, err := os.Stat(out); err != nil {
		return fmt.Errorf("go %s %s wrote no executable: %v\n%s", verb, p.ImportPath, err, bytes.TrimSpace(output.Bytes()))
	}
	return nil
}
