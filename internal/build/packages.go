package build

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Package is a package gobi builds, as the go command resolved it.
type Package struct {
	ImportPath string
	Name       string // package name: main for a command
	Dir        string // source directory, as the go command sees it
	RealDir    string // Dir with symbolic links resolved: the test's directory in a guest
	HasTests   bool   // has _test.go files
	runDir     string // where to run the go command so it finds the module
}

// listed is what go list -json prints for one package.
type listed struct {
	ImportPath   string
	Name         string
	Dir          string
	Standard     bool
	CgoFiles     []string
	TestGoFiles  []string
	XTestGoFiles []string
	Error        *struct{ Err string }
}

// IsLocalPath reports whether arg names a directory rather than an import
// path, by the go command's rule (go help packages): ".", "..", or a path
// starting with ./, ../ or /.
func IsLocalPath(arg string) bool {
	return arg == "." || arg == ".." || filepath.IsAbs(arg) ||
		strings.HasPrefix(arg, "./") || strings.HasPrefix(arg, "../")
}

// Resolve expands package arguments (import paths, directories, patterns
// such as ./...) into packages, and refuses any package that needs cgo. A
// directory is resolved from inside itself, so it may belong to any module,
// including one whose go.mod knows nothing of gobi.
func (b *Builder) Resolve(ctx context.Context, args []string) ([]*Package, error) {
	if len(args) == 0 {
		args = []string{"."}
	}
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	// Import paths are listed together, from the current directory; each
	// directory from inside itself. The order of args is kept.
	var pkgs, found []*Package
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if !IsLocalPath(arg) {
			j := i + 1
			for j < len(args) && !IsLocalPath(args[j]) {
				j++
			}
			var paths []string
			if paths, err = b.expand(ctx, wd, args[i:j]); err == nil {
				found, err = b.list(ctx, wd, paths)
			}
			i = j - 1
		} else {
			dir, pattern := arg, "."
			if d, ok := strings.CutSuffix(arg, "/..."); ok {
				dir, pattern = d, "./..."
			}
			if fi, serr := os.Stat(dir); serr != nil || !fi.IsDir() {
				return nil, fmt.Errorf("%s is not a directory", arg)
			}
			abs, aerr := filepath.Abs(dir)
			if aerr != nil {
				return nil, aerr
			}
			found, err = b.list(ctx, abs, []string{pattern})
		}
		if err != nil {
			return nil, err
		}
		pkgs = append(pkgs, found...)
	}
	return pkgs, nil
}

// list runs go list in dir: once for the packages, in the go command's
// order, and for images once more over all dependencies with cgo enabled,
// to find packages that use cgo (built with CGO_ENABLED=0, as images are,
// their cgo files would silently drop out of the build).
func (b *Builder) list(ctx context.Context, dir string, patterns []string) ([]*Package, error) {
	var deps []listed
	var depsErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		if b.opts.Target != TargetHost {
			deps, depsErr = b.goList(ctx, dir, true, patterns)
		}
	}()
	listedPkgs, err := b.goList(ctx, dir, false, patterns)
	<-done
	if depsErr != nil {
		return nil, depsErr
	}
	var cgo []string
	for _, l := range deps {
		if len(l.CgoFiles) > 0 && !l.Standard {
			cgo = append(cgo, fmt.Sprintf("%s (%s)", l.ImportPath, strings.Join(l.CgoFiles, ", ")))
		}
	}
	if len(cgo) > 0 {
		return nil, fmt.Errorf("cgo is not supported in Gobi images (a unikernel has no C library), but these packages use it: %s; build without import \"C\" or use -target host", strings.Join(cgo, "; "))
	}
	if err != nil {
		return nil, err
	}
	var pkgs []*Package
	for _, l := range listedPkgs {
		real, err := filepath.EvalSymlinks(l.Dir)
		if err != nil {
			return nil, err
		}
		pkgs = append(pkgs, &Package{
			ImportPath: l.ImportPath, Name: l.Name, Dir: l.Dir, RealDir: real, runDir: dir,
			HasTests: len(l.TestGoFiles)+len(l.XTestGoFiles) > 0,
		})
	}
	if len(pkgs) == 0 {
		return nil, fmt.Errorf("no packages match %s", strings.Join(patterns, " "))
	}
	return pkgs, nil
}

// expand turns import path patterns with "..." (and the go command's
// meta-patterns std, cmd and all) into import paths. It lists with the real
// GOROOT: in the shadow one every standard package directory is a symbolic
// link, which the go command's pattern matching does not follow.
func (b *Builder) expand(ctx context.Context, dir string, patterns []string) ([]string, error) {
	if !slices.ContainsFunc(patterns, isPattern) {
		return patterns, nil
	}
	real := *b
	real.goroot = b.tc.GOROOT
	var paths []string
	for _, arg := range patterns {
		if !isPattern(arg) {
			paths = append(paths, arg)
			continue
		}
		listed, err := real.goList(ctx, dir, false, []string{arg})
		if err != nil {
			return nil, err
		}
		if len(listed) == 0 {
			return nil, fmt.Errorf("pattern %s matches no packages", arg)
		}
		for _, l := range listed {
			paths = append(paths, l.ImportPath)
		}
	}
	return paths, nil
}

func isPattern(arg string) bool {
	return strings.Contains(arg, "...") || arg == "std" || arg == "cmd" || arg == "all"
}

// goList runs go list -json for patterns in dir, with their dependencies
// and cgo enabled if deps is set.
func (b *Builder) goList(ctx context.Context, dir string, deps bool, patterns []string) ([]listed, error) {
	args := []string{"list", "-e", "-json=ImportPath,Name,Dir,Standard,CgoFiles,TestGoFiles,XTestGoFiles,Error"}
	if deps {
		args = append(args, "-deps")
	}
	if tags := b.tags(); tags != "" {
		args = append(args, "-tags", tags)
	}
	args = append(args, "--")
	args = append(args, patterns...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(cmd.Environ(), b.goEnv(deps)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list %s: %v\n%s", strings.Join(patterns, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	var all []listed
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var l listed
		if err := dec.Decode(&l); errors.Is(err, io.EOF) {
			return all, nil
		} else if err != nil {
			return nil, fmt.Errorf("reading go list output: %w", err)
		}
		if l.Error != nil {
			return nil, fmt.Errorf("package %s: %s", l.ImportPath, l.Error.Err)
		}
		all = append(all, l)
	}
}
