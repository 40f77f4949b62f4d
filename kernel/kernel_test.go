package kernel

import (
	"encoding/base64"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestB64Decode(t *testing.T) {
	for _, in := range []string{"", "a", "ab", "abc", "prog\x00-v\x00\xff\xfe\x00", strings.Repeat("xyz\x00", 100)} {
		enc := base64.RawURLEncoding.EncodeToString([]byte(in))
		buf := make([]byte, len(in)+4)
		n, ok := b64decode(buf, []byte(enc))
		if !ok || string(buf[:n]) != in {
			t.Errorf("b64decode(%q) = %q, %v; want %q", enc, buf[:n], ok, in)
		}
	}
	for _, bad := range []string{"a", "ab=", "a b", "abc!"} {
		if _, ok := b64decode(make([]byte, 8), []byte(bad)); ok {
			t.Errorf("b64decode(%q) succeeded, want failure", bad)
		}
	}
	if _, ok := b64decode(make([]byte, 1), []byte("YWJj")); ok {
		t.Errorf("b64decode into a short buffer succeeded")
	}
}

func TestDaysFromCivil(t *testing.T) {
	for _, d := range []time.Time{
		time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2000, 2, 29, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC),
		time.Date(2100, 3, 1, 0, 0, 0, 0, time.UTC),
	} {
		if got, want := daysFromCivil(int64(d.Year()), int64(d.Month()), int64(d.Day())), d.Unix()/86400; got != want {
			t.Errorf("daysFromCivil(%v) = %d, want %d", d.Format(time.DateOnly), got, want)
		}
	}
}

// TestImports keeps the kernel importable from any standard-library test
// binary: only unsafe and the kernel's own packages.
func TestImports(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			p := strings.Trim(imp.Path.Value, `"`)
			if p != "unsafe" && !strings.HasPrefix(p, "github.com/gobi-os/gobi/kernel/") {
				t.Errorf("%s imports %s", f, p)
			}
		}
	}
}

// TestNoWriteBarriers proves the pointer-free rule: the compiler emits no
// write barrier anywhere in the kernel (one would crash in trap context).
func TestNoWriteBarriers(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the package")
	}
	out, err := exec.Command("go", "build", "-a", "-gcflags=github.com/gobi-os/gobi/kernel/...=-d=wb", "./").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "write barrier") && !strings.Contains(line, "_test.go") {
			t.Errorf("%s", line)
		}
	}
}
