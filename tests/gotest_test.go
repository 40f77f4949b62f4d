package tests

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const gotestPkg = "github.com/gobi-os/gobi/tests/testdata/gotest"

// gobi test prints what go test prints; the same package under -target host,
// in the unikernel and in the sandbox gives the same lines.
func TestGoTestOutput(t *testing.T) {
	for _, target := range []string{"host", "qemu", "sandbox"} {
		t.Run(target, func(t *testing.T) {
			if target == "qemu" {
				needQEMU(t)
			}
			t.Parallel()
			pass := "TestDouble|TestReadsTestdata|TestWritesTempDir"
			r := gobi(t, invocation{}, "test", "-target", target, "-run", pass, "./tests/testdata/gotest")
			r.want(t, 0, nil, nil)
			if !regexp.MustCompile(`^ok  \t` + regexp.QuoteMeta(gotestPkg) + `\t\d+\.\d{3}s\n$`).MatchString(r.stdout) {
				t.Errorf("gobi test stdout = %q, want exactly go test's ok line", r.stdout)
			}

			r = gobi(t, invocation{}, "test", "-target", target, "-v", "-run", pass, "./tests/testdata/gotest")
			r.want(t, 0, []string{"=== RUN   TestDouble\n", "--- PASS: TestReadsTestdata (", "--- PASS: TestWritesTempDir (", "\nPASS\nok  \t" + gotestPkg + "\t"}, nil)

			r = gobi(t, invocation{}, "test", "-target", target, "-run", "TestFailsOnPurpose|TestDouble", "./tests/testdata/gotest", "errors")
			r.want(t, 1, []string{
				"--- FAIL: TestFailsOnPurpose (",
				"failing on purpose",
				"\nFAIL\t" + gotestPkg + "\t",
				"\nok  \terrors\t",
				"\nFAIL\n",
			}, nil)
			if strings.Contains(r.stdout, "TestDouble") {
				t.Errorf("a passing test appears without -v:\n%s", r.stdout)
			}

			r = gobi(t, invocation{}, "test", "-target", target, "-json", "-run", "TestDouble", "./tests/testdata/gotest")
			r.want(t, 0, nil, nil)
			var pkgPass, testPass bool
			sc := bufio.NewScanner(strings.NewReader(r.stdout))
			for sc.Scan() {
				var ev struct{ Action, Package, Test string }
				if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
					t.Fatalf("-json line %q: %v", sc.Text(), err)
				}
				if ev.Action == "pass" && ev.Package == gotestPkg {
					pkgPass = pkgPass || ev.Test == ""
					testPass = testPass || ev.Test == "TestDouble"
				}
			}
			if !pkgPass || !testPass {
				t.Errorf("-json output lacks pass events for the package and TestDouble:\n%s", r.stdout)
			}
		})
	}
}

// stdPackages are standard packages whose own tests pass on Gobi's kernel.
var stdPackages = []string{"strings", "bytes", "sort", "strconv", "unicode/utf8", "encoding/json", "encoding/base64",
	"regexp", "math/big", "container/heap", "crypto/sha256", "compress/flate", "bufio", "errors"}

// The standard library's own tests pass in the unikernel.
func TestStandardLibrary(t *testing.T) {
	needQEMU(t)
	if testing.Short() {
		t.Skip("runs the tests of 14 standard packages in guests")
	}
	t.Parallel()
	pkgs := stdPackages
	r := gobi(t, invocation{limit: 40 * 60e9}, append([]string{"test", "-short", "-timeout", "15m"}, pkgs...)...)
	for _, p := range pkgs {
		if !strings.Contains(r.stdout, "ok  \t"+p+"\t") {
			t.Errorf("gobi test -short %s did not pass", p)
		}
	}
	if r.status != 0 || t.Failed() {
		t.Errorf("gobi test -short: status %d\nstdout:\n%s\nstderr:\n%s", r.status, r.stdout, r.stderr)
	}
}

// The same packages' tests, and net/http's and time's, pass in the sandbox.
func TestStandardLibrarySandbox(t *testing.T) {
	t.Parallel()
	pkgs := append([]string{"net/http", "time"}, stdPackages...)
	r := gobi(t, invocation{limit: 20 * 60e9}, append([]string{"test", "-target", "sandbox", "-short", "-timeout", "10m"}, pkgs...)...)
	for _, p := range pkgs {
		if !strings.Contains(r.stdout, "ok  \t"+p+"\t") {
			t.Errorf("gobi test -target sandbox -short %s did not pass", p)
		}
	}
	if r.status != 0 || t.Failed() {
		t.Errorf("gobi test -target sandbox -short: status %d\nstdout:\n%s\nstderr:\n%s", r.status, r.stdout, r.stderr)
	}
}

func TestCgoRefused(t *testing.T) {
	t.Parallel()
	mod := t.TempDir()
	files := map[string]string{
		"go.mod":  "module example.com/cgo\n\ngo 1.26\n",
		"main.go": "package main\n\n// int answer(void) { return 42; }\nimport \"C\"\n\nfunc main() { println(C.answer()) }\n",
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(mod, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := gobi(t, invocation{dir: mod}, "build", ".")
	r.want(t, 1, nil, []string{"cgo is not supported in Gobi images", "example.com/cgo (main.go)"})
}

func TestRunRejectsNonImage(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(file, []byte("not an ELF"), 0o644)
	r := gobi(t, invocation{}, "run", file)
	r.want(t, 125, nil, []string{"is not a Gobi image"})
}

func TestRunHostTarget(t *testing.T) {
	t.Parallel()
	r := gobi(t, invocation{}, "run", "-target", "host", "-e", "A=1", "./examples/hello", "-exit", "6")
	r.want(t, 6, []string{"goroutine 2: timer fired", "exiting with status 6\n"}, nil)
}

func TestQEMUMissing(t *testing.T) {
	t.Parallel()
	img := filepath.Join(t.TempDir(), "hello.img")
	r := gobi(t, invocation{}, "build", "-o", img, "./examples/hello")
	r.want(t, 0, nil, []string{"gobi: built " + img})
	goBin := filepath.Dir(mustLookPath(t, "go"))
	r = gobi(t, invocation{env: []string{"PATH=" + goBin}}, "run", img)
	r.want(t, 125, nil, []string{"qemu-system-x86_64 not found on PATH: apt-get install qemu-system-x86"})
}

func TestWrongGoVersionRefused(t *testing.T) {
	t.Parallel()
	// A go command that claims another release.
	bin := t.TempDir()
	fake := "#!/bin/sh\necho '{\"GOVERSION\": \"go1.25.4\", \"GOROOT\": \"/opt/go1.25\"}'\n"
	if err := os.WriteFile(filepath.Join(bin, "go"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	r := gobi(t, invocation{env: []string{"PATH=" + bin}}, "build", "./examples/hello")
	r.want(t, 1, nil, []string{"gobi supports go1.26.x only, but the go command on PATH is go1.25.4"})
}
