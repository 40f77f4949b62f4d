package build

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/gobi-os/gobi"
)

// netImportPath is the package that brings the network up inside a guest:
// gobi links it into every image of a program that uses package net.
const netImportPath = gobi.ModulePath + "/guestnet"

// usesNet reports whether the program p imports package net, directly or not.
func (b *Builder) usesNet(ctx context.Context, p *Package) (bool, error) {
	deps, err := b.goList(ctx, p.runDir, true, []string{p.ImportPath})
	if err != nil {
		return false, err
	}
	for _, d := range deps {
		if d.ImportPath == "net" {
			return true, nil
		}
	}
	return false, nil
}

// netWorkspace returns a go.work that adds gobi's guest packages to p's
// module, or "" when p's module already provides them (it is gobi, or it
// requires gobi).
func (b *Builder) netWorkspace(ctx context.Context, p *Package) (string, error) {
	mod, err := b.moduleOf(ctx, p)
	if err != nil {
		return "", err
	}
	if mod.Path == gobi.ModulePath || mod.Path == "" || b.requiresGobi(ctx, p) {
		return "", nil
	}
	dir, err := guestModule()
	if err != nil {
		return "", err
	}
	uses := []string{dir, mod.Dir}
	if mod.GoWork != "" { // keep the user's own workspace
		more, err := workspaceUses(ctx, mod.GoWork)
		if err != nil {
			return "", err
		}
		uses = append(uses, more...)
	}
	goVersion, err := moduleGoVersion()
	if err != nil {
		return "", err
	}
	var w strings.Builder
	fmt.Fprintf(&w, "go %s\n\n", goVersion)
	seen := map[string]bool{}
	for _, u := range uses {
		if !seen[u] {
			seen[u] = true
			fmt.Fprintf(&w, "use %s\n", u)
		}
	}
	f, err := os.CreateTemp("", "gobi-*.work")
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := f.WriteString(w.String()); err != nil {
		return "", err
	}
	return f.Name(), nil
}

type moduleInfo struct {
	Path, Dir, GoWork string
}

// moduleOf returns the main module p belongs to and any go.work in force.
func (b *Builder) moduleOf(ctx context.Context, p *Package) (moduleInfo, error) {
	cmd := exec.CommandContext(ctx, "go", "list", "-f", "{{with .Module}}{{.Path}}\t{{.Dir}}{{end}}", p.ImportPath)
	cmd.Dir = p.runDir
	cmd.Env = append(cmd.Environ(), b.goEnv(false)...)
	out, err := cmd.Output()
	if err != nil {
		return moduleInfo{}, fmt.Errorf("finding the module of %s: %w", p.ImportPath, err)
	}
	path, dir, _ := strings.Cut(strings.TrimSpace(string(out)), "\t")
	m := moduleInfo{Path: path, Dir: dir}
	cmd = exec.CommandContext(ctx, "go", "env", "GOWORK")
	cmd.Dir = p.runDir
	if out, err := cmd.Output(); err == nil {
		if w := strings.TrimSpace(string(out)); w != "off" {
			m.GoWork = w
		}
	}
	return m, nil
}

// requiresGobi reports whether p's module graph already has gobi's module.
func (b *Builder) requiresGobi(ctx context.Context, p *Package) bool {
	cmd := exec.CommandContext(ctx, "go", "list", "-m", gobi.ModulePath)
	cmd.Dir = p.runDir
	cmd.Env = append(cmd.Environ(), b.goEnv(false)...)
	return cmd.Run() == nil
}

// workspaceUses lists the module directories of an existing go.work.
func workspaceUses(ctx context.Context, gowork string) ([]string, error) {
	out, err := exec.CommandContext(ctx, "go", "work", "edit", "-json", gowork).Output()
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", gowork, err)
	}
	var w struct{ Use []struct{ DiskPath string } }
	if err := json.Unmarshal(out, &w); err != nil {
		return nil, fmt.Errorf("reading %s: %w", gowork, err)
	}
	var dirs []string
	for _, u := range w.Use {
		d := u.DiskPath
		if !filepath.IsAbs(d) {
			d = filepath.Join(filepath.Dir(gowork), d)
		}
		dirs = append(dirs, d)
	}
	return dirs, nil
}

var goLine = regexp.MustCompile(`(?m)^go ([0-9.]+)$`)

// moduleGoVersion is the go line of gobi's go.mod, which a workspace that
// uses the module must meet.
func moduleGoVersion() (string, error) {
	data, err := gobi.Guest.ReadFile("go.mod")
	if err != nil {
		return "", err
	}
	m := goLine.FindSubmatch(data)
	if m == nil {
		return "", fmt.Errorf("gobi's embedded go.mod has no go line")
	}
	return string(m[1]), nil
}

// guestModule writes gobi's guest packages, with go.mod and go.sum, to a
// directory in the user's cache named for their contents, once.
func guestModule() (string, error) {
	var files []kernelFile
	for _, root := range []string{"platform", "pump", "guestnet", "drivers", "netstack"} {
		f, err := sourceFiles(gobi.Guest, root)
		if err != nil {
			return "", fmt.Errorf("reading the embedded guest packages: %w", err)
		}
		files = append(files, f...)
	}
	for _, name := range []string{"go.mod", "go.sum"} {
		data, err := gobi.Guest.ReadFile(name)
		if err != nil {
			return "", err
		}
		files = append(files, kernelFile{name, data})
	}
	h := sha256.New()
	for _, f := range files {
		fmt.Fprintf(h, "%s\x00%d\x00%s", f.name, len(f.data), f.data)
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	dir := filepath.Join(base, "gobi", "module-"+hex.EncodeToString(h.Sum(nil)[:8]))
	if _, err := os.Stat(dir); err == nil {
		return dir, nil
	}
	if err := writeTree(dir, files, nil); err != nil {
		return "", fmt.Errorf("preparing gobi's guest packages in %s: %w", dir, err)
	}
	return dir, nil
}

// writeTree writes files (and whatever prepare adds first, if not nil) into
// a temporary directory and renames it to dir, so concurrent gobi commands
// never see half of it.
func writeTree(dir string, files []kernelFile, prepare func(tmp string) error) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".tmp-"+filepath.Base(dir)+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if prepare != nil {
		if err := prepare(tmp); err != nil {
			return err
		}
	}
	for _, f := range files {
		file := filepath.Join(tmp, filepath.FromSlash(f.name))
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(file, f.data, 0o444); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(dir); serr == nil {
			return nil // another gobi finished first
		}
		return err
	}
	return nil
}
