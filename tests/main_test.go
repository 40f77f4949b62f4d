// Package tests holds Gobi's end-to-end tests. They build the gobi command
// the way a user installs it, then build and boot real programs with it
// under QEMU (TCG), and check what reaches the host: output, exit status,
// signals, time, randomness. Tests that need QEMU skip when
// qemu-system-x86_64 is not on PATH.
package tests

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	gobiBin string // the gobi command under test, built by TestMain
	repo    string // the repository root
	workDir string // scratch space shared by the tests
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	var err error
	if repo, err = filepath.Abs(".."); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if workDir, err = os.MkdirTemp("", "gobi-e2e-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(workDir)
	// Install gobi as a user would: a binary outside the checkout.
	gobiBin = filepath.Join(workDir, "bin", "gobi")
	cmd := exec.Command("go", "build", "-o", gobiBin, "./cmd/gobi")
	cmd.Dir = repo
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building gobi: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// needQEMU skips t when QEMU is not installed.
func needQEMU(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
		t.Skip("qemu-system-x86_64 not on PATH (apt-get install qemu-system-x86); skipping a test that boots a guest")
	}
}

// result is what one gobi command did.
type result struct {
	stdout, stderr string
	status         int
}

// invocation configures one gobi command.
type invocation struct {
	dir   string        // working directory; the repository root if empty
	stdin string        // fed to gobi's stdin
	env   []string      // added to the environment
	limit time.Duration // how long the command may take; 5 minutes if zero
}

// gobi runs the gobi command and returns what it did. Every run is
// bounded: a hung guest fails the test instead of hanging it.
func gobi(t *testing.T, inv invocation, args ...string) result {
	t.Helper()
	limit := inv.limit
	if limit == 0 {
		limit = 5 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, gobiBin, args...)
	cmd.Dir = inv.dir
	if cmd.Dir == "" {
		cmd.Dir = repo
	}
	cmd.Env = append(os.Environ(), inv.env...)
	cmd.Stdin = strings.NewReader(inv.stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	if ctx.Err() != nil {
		t.Fatalf("gobi %s did not finish within %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), limit, r.stdout, r.stderr)
	}
	if ee, ok := err.(*exec.ExitError); ok {
		r.status = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("gobi %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// want fails t unless r has the status and every string in outs appears
// in stdout (and every string in errs in stderr).
func (r result) want(t *testing.T, status int, outs, errs []string) {
	t.Helper()
	ok := r.status == status
	for _, s := range outs {
		ok = ok && strings.Contains(r.stdout, s)
	}
	for _, s := range errs {
		ok = ok && strings.Contains(r.stderr, s)
	}
	if !ok {
		t.Errorf("status %d, want %d; stdout should contain %q, stderr %q\nstdout:\n%s\nstderr:\n%s", r.status, status, outs, errs, r.stdout, r.stderr)
	}
}

// builtImage is a guest program that gobi build makes once, for all tests.
type builtImage struct {
	pkg, file string
	target    string // gobi build -target; qemu if empty
	once      sync.Once
	path, err string
}

func (b *builtImage) get(t *testing.T) string {
	t.Helper()
	b.once.Do(func() {
		b.err = "building " + b.pkg + " failed in another test"
		img := filepath.Join(workDir, b.file)
		args := []string{"build", "-o", img, b.pkg}
		if b.target != "" {
			args = append(args[:1], append([]string{"-target", b.target}, args[1:]...)...)
		}
		r := gobi(t, invocation{}, args...)
		if r.status != 0 {
			b.err = fmt.Sprintf("gobi build %s: status %d\n%s", b.pkg, r.status, r.stderr)
			return
		}
		b.path = img
	})
	if b.path == "" {
		t.Fatal(b.err)
	}
	return b.path
}

var guest = &builtImage{pkg: "./tests/testdata/guest", file: "guest.img"}

// guestImage builds testdata/guest into an image once, with gobi build.
func guestImage(t *testing.T) string { return guest.get(t) }

// runGuest boots the guest image in one of its modes, bounded by -timeout.
func runGuest(t *testing.T, inv invocation, flags []string, mode string, args ...string) result {
	t.Helper()
	img := guestImage(t)
	all := append([]string{"run", "-timeout", "3m"}, flags...)
	all = append(all, img, mode)
	return gobi(t, inv, append(all, args...)...)
}

// exitStatus returns the shell-style status of a finished command.
func exitStatus(ps *os.ProcessState) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

func mustLookPath(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
