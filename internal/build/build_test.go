package build

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gobi-os/gobi/internal/image"
)

func TestSupported(t *testing.T) {
	for v, want := range map[string]bool{
		"go1.26": true, "go1.26.8": true, "go1.26rc1": true, "go1.26.1 X:nocoverageredesign": true,
		"go1.25.3": false, "go1.27": false, "go1.260": false, "devel go1.27-abc": false, "": false,
	} {
		if got := Supported(v); got != want {
			t.Errorf("Supported(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestIsLocalPath(t *testing.T) {
	for arg, want := range map[string]bool{
		".": true, "..": true, "./x": true, "../x/...": true, "/abs/dir": true,
		"strings": false, "example.com/x": false, "x/y": false, ".hidden": false,
	} {
		if got := IsLocalPath(arg); got != want {
			t.Errorf("IsLocalPath(%q) = %v, want %v", arg, got, want)
		}
	}
}

func TestKernelFiles(t *testing.T) {
	files, err := kernelFiles()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.name)
		if strings.HasSuffix(f.name, "_test.go") || strings.Contains(f.name, "testdata/") {
			t.Errorf("kernelFiles includes %s", f.name)
		}
		if bytes.Contains(f.data, []byte("github.com/gobi-os/gobi/kernel")) {
			t.Errorf("%s still names the kernel by its module path", f.name)
		}
	}
	if !slices.Contains(names, bundleFile) {
		t.Errorf("kernelFiles() has no %s, which the test overlay replaces: %q", bundleFile, names)
	}
}

// writeModule creates a module (whose go.mod knows nothing of gobi) in a
// directory under the test's temporary directory.
func writeModule(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files["go.mod"] = "module example.com/m\n\ngo 1.26\n"
	for name, data := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func newBuilder(t *testing.T, target string) (*Builder, *bytes.Buffer) {
	t.Helper()
	var log bytes.Buffer
	b, err := New(context.Background(), Options{Target: target, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	return b, &log
}

func TestRefusesCgo(t *testing.T) {
	dir := writeModule(t, map[string]string{
		"main.go": "package main\n\nimport \"example.com/m/c\"\n\nfunc main() { c.F() }\n",
		"c/c.go":  "package c\n\n// int one(void) { return 1; }\nimport \"C\"\n\nfunc F() int { return int(C.one()) }\n",
	})
	b, _ := newBuilder(t, TargetQEMU)
	_, err := b.Resolve(context.Background(), []string{dir})
	if err == nil || !strings.Contains(err.Error(), "cgo is not supported") || !strings.Contains(err.Error(), "example.com/m/c (c.go)") {
		t.Fatalf("Resolve(cgo program) = %v, want a cgo error naming example.com/m/c", err)
	}
}

// An image builds for a module that does not mention gobi, from outside
// that module, and the module's files stay as they were.
func TestBuildProgramInForeignModule(t *testing.T) {
	if testing.Short() {
		t.Skip("links a whole image")
	}
	files := map[string]string{"main.go": "package main\n\nfunc main() { println(\"hi\") }\n"}
	dir := writeModule(t, files)
	b, log := newBuilder(t, TargetQEMU)
	pkgs, err := b.Resolve(context.Background(), []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != 1 || pkgs[0].ImportPath != "example.com/m" || pkgs[0].Name != "main" {
		t.Fatalf("Resolve = %+v", pkgs)
	}
	out := filepath.Join(t.TempDir(), "img")
	if err := b.BuildProgram(context.Background(), pkgs[0], out); err != nil {
		t.Fatalf("BuildProgram: %v\nlog:\n%s", err, log)
	}
	if _, err := image.PVHEntry(out); err != nil {
		t.Errorf("built image: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("the module directory changed: %v", entries)
	}
	// One line per step, each naming what it does.
	for _, want := range []string{"gobi: using go1.26", "gobi: compiling example.com/m with the Gobi kernel", "gobi: writing the PVH entry note", "gobi: built "} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("build log lacks %q:\n%s", want, log)
		}
	}
}

// A program that loads time zones is told when its image has no zone
// database, and not when it carries one (the timetzdata tag).
func TestZoneNote(t *testing.T) {
	if testing.Short() {
		t.Skip("links whole images")
	}
	dir := writeModule(t, map[string]string{"main.go": "package main\n\nimport \"time\"\n\nfunc main() { time.LoadLocation(\"Europe/Paris\") }\n"})
	const note = "has no zone database: import time/tzdata or build with -tags timetzdata"
	for _, tags := range []string{"", "timetzdata"} {
		var log bytes.Buffer
		b, err := New(context.Background(), Options{Target: TargetQEMU, Log: &log, Tags: tags})
		if err != nil {
			t.Fatal(err)
		}
		pkgs, err := b.Resolve(context.Background(), []string{dir})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.BuildProgram(context.Background(), pkgs[0], filepath.Join(t.TempDir(), "img")); err != nil {
			t.Fatalf("BuildProgram (tags %q): %v\nlog:\n%s", tags, err, &log)
		}
		if got := strings.Contains(log.String(), note); got != (tags == "") {
			t.Errorf("tags %q: the build log says %q: %v, want %v\n%s", tags, note, got, tags == "", &log)
		}
	}
}

func TestBuildProgramRefusesLibrary(t *testing.T) {
	b, _ := newBuilder(t, TargetHost)
	pkgs, err := b.Resolve(context.Background(), []string{"strings"})
	if err != nil {
		t.Fatal(err)
	}
	err = b.BuildProgram(context.Background(), pkgs[0], filepath.Join(t.TempDir(), "x"))
	if err == nil || !strings.Contains(err.Error(), "not a command") {
		t.Errorf("BuildProgram(strings) = %v, want a not-a-command error", err)
	}
}

func TestTestFiles(t *testing.T) {
	b, _ := newBuilder(t, TargetQEMU)
	pkgs, err := b.Resolve(context.Background(), []string{"compress/flate"})
	if err != nil {
		t.Fatal(err)
	}
	p := pkgs[0]
	if p.RealDir != filepath.Join(b.GuestGOROOT(), "src", "compress", "flate") {
		t.Errorf("RealDir = %s, want the package under the real GOROOT", p.RealDir)
	}
	files, err := b.TestFiles(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		filepath.Join(p.RealDir, "deflate.go"),
		filepath.Join(p.RealDir, "testdata", "huffman-null-max.golden"),
		filepath.Join(b.GuestGOROOT(), "lib", "time", "zoneinfo.zip"),
	} {
		if !slices.Contains(files, want) {
			t.Errorf("TestFiles(compress/flate) lacks %s", want)
		}
	}
	for _, f := range files {
		if strings.Contains(f, "/.") {
			t.Errorf("TestFiles(compress/flate) includes %s", f)
		}
	}
}

// TestTestFilesUnderTmp bundles a package that lives under /tmp (as a CI
// checkout may): bundled files are read-only in the guest wherever they are.
func TestTestFilesUnderTmp(t *testing.T) {
	b, _ := newBuilder(t, TargetQEMU)
	dir, err := os.MkdirTemp("/tmp", "gobi-bundle-")
	if err != nil {
		t.Skip(err)
	}
	defer os.RemoveAll(dir)
	for _, f := range []string{"x.go", "x_test.go", "testdata/in.txt"} {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, f), []byte("package x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	files, err := b.TestFiles(&Package{ImportPath: "x", RealDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"x.go", "x_test.go", "testdata/in.txt"} {
		if !slices.Contains(files, filepath.Join(dir, want)) {
			t.Errorf("TestFiles(%s) = %q, missing %s", dir, files, want)
		}
	}
}

// Patterns expand to the same packages as with the real GOROOT, although
// the shadow GOROOT's package directories are symbolic links.
func TestResolvePatterns(t *testing.T) {
	b, _ := newBuilder(t, TargetQEMU)
	pkgs, err := b.Resolve(context.Background(), []string{"errors", "container/...", "unicode/utf8"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range pkgs {
		got = append(got, p.ImportPath)
	}
	want := []string{"errors", "container/heap", "container/list", "container/ring", "unicode/utf8"}
	if !slices.Equal(got, want) {
		t.Errorf("Resolve(errors container/... unicode/utf8) = %q, want %q", got, want)
	}
	if _, err := b.Resolve(context.Background(), []string{"nosuchpackage/..."}); err == nil {
		t.Errorf("Resolve(nosuchpackage/...) succeeded")
	}
}

func TestPruneShadows(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	for name, age := range map[string]time.Duration{"goroot-old": 48 * time.Hour, "goroot-new": time.Hour, "other": 48 * time.Hour} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Join(p, "src"), 0o755); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, now.Add(-age), now.Add(-age))
	}
	pruneShadows(dir, now.Add(-shadowMaxIdle))
	var left []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if want := []string{"goroot-new", "other"}; !slices.Equal(left, want) {
		t.Errorf("after pruning: %q, want %q", left, want)
	}
}
