package main

import (
	"context"
	"fmt"
	"io"
	"path"

	"github.com/gobi-os/gobi/internal/build"
)

const buildUsage = "[-target qemu|sandbox|host] [-arch amd64] [-o FILE] [-tags T] [-ldflags F] [PKG]"

// runBuild runs `gobi build`: it compiles the main package PKG (an import
// path or a directory, default .) into a Gobi image, or a host executable.
func runBuild(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("build", buildUsage, stderr)
	target := targetFlag(fs)
	arch := fs.String("arch", "amd64", "guest `architecture`")
	out := fs.String("o", "", "write the image to `file` (default: the package's last path element)")
	tags := fs.String("tags", "", "comma-separated build `tags`, as for go build")
	ldflags := fs.String("ldflags", "", "extra linker `flags`, after gobi's own")
	if status, ok := parseFlags(fs, args, exitUsage); !ok {
		return status
	}
	if fs.NArg() > 1 {
		fmt.Fprintf(stderr, "gobi build: one package at a time\nusage: gobi build %s\n", buildUsage)
		return exitUsage
	}
	b, err := build.New(ctx, build.Options{Target: *target, Arch: *arch, Tags: *tags, LDFlags: *ldflags, Log: stderr})
	if err != nil {
		fmt.Fprintf(stderr, "gobi build: %v\n", err)
		return exitFailed
	}
	pkgs, err := b.Resolve(ctx, fs.Args())
	if err == nil && len(pkgs) != 1 {
		err = fmt.Errorf("%s matches %d packages; gobi build builds one", fs.Arg(0), len(pkgs))
	}
	if err != nil {
		fmt.Fprintf(stderr, "gobi build: %v\n", err)
		return exitFailed
	}
	file := *out
	if file == "" {
		file = path.Base(pkgs[0].ImportPath)
	}
	if err := b.BuildProgram(ctx, pkgs[0], file); err != nil {
		fmt.Fprintf(stderr, "gobi build: %v\n", err)
		return exitFailed
	}
	return 0
}
