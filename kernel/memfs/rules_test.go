package memfs

import (
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// TestImportsOnlyUnsafe: the kernel packages are injected into GOROOT for
// standard-library tests, so importing anything else would make cycles.
func TestImportsOnlyUnsafe(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			if path, _ := strconv.Unquote(imp.Path.Value); path != "unsafe" {
				t.Errorf("%s imports %q: only unsafe is allowed", name, path)
			}
		}
	}
}

// TestNoWriteBarriers compiles the package with -d=wb, which reports every
// write barrier the compiler emits: there must be none, because syscall
// handlers run without a P and cannot execute one. A barrier means some
// code stores a Go pointer into memory that is not the stack.
func TestNoWriteBarriers(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the package")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	wd, _ := os.Getwd()
	cmd := exec.Command(goTool, "build", "-gcflags=-d=wb", "-o", os.DevNull, ".")
	cmd.Dir = wd
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-d=wb: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "write barrier") {
		t.Errorf("the compiler emitted write barriers:\n%s", out)
	}
	// The check itself works: a store of a pointer into a global reports.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module wb\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "wb.go"), []byte("package wb\n\nvar g *int\n\nfunc Set(p *int) { g = p }\n"), 0o644)
	cmd = exec.Command(goTool, "build", "-gcflags=-d=wb", "-o", os.DevNull, ".")
	cmd.Dir = dir
	if out, _ := cmd.CombinedOutput(); !strings.Contains(string(out), "write barrier") {
		t.Errorf("-d=wb did not report a known write barrier: %s", out)
	}
}
