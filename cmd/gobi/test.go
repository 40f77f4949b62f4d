package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/gobi-os/gobi/internal/build"
	"github.com/gobi-os/gobi/internal/vm"
)

const testUsage = "[-target qemu|sandbox|host] [-accel auto|kvm|tcg] [-m SIZE] [-short] [-run RE] [-v] [-json] [-count N] [-timeout D] PKG..."

// testKillMargin is how long after the test binary's own -test.timeout gobi
// stops waiting (the go command's testKillTimeout uses the same minute):
// the binary panics with every goroutine's stack first.
const testKillMargin = time.Minute

// testFlags are gobi test's flags.
type testFlags struct {
	target, accel, mem, run string
	short, verbose, json    bool
	count                   int
	timeout                 time.Duration
}

// runTest runs `gobi test`: each package's test binary, built with the
// kernel and the files its tests read, runs in its own VM; the output is
// what go test prints, so tools that read go test's output work unchanged.
func runTest(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("test", testUsage, stderr)
	var f testFlags
	target := targetFlag(fs)
	fs.StringVar(&f.accel, "accel", "auto", accelFlagUsage)
	fs.StringVar(&f.mem, "m", "1G", "guest memory `size` in QEMU's syntax (a bare number is MiB)")
	fs.BoolVar(&f.short, "short", false, "tell long-running tests to shorten their run time")
	fs.StringVar(&f.run, "run", "", "run only tests matching `regexp`")
	fs.BoolVar(&f.verbose, "v", false, "print every test's name and output as it runs")
	fs.BoolVar(&f.json, "json", false, "print test output as JSON, as go test -json does")
	fs.IntVar(&f.count, "count", 1, "run each test `n` times")
	fs.DurationVar(&f.timeout, "timeout", 10*time.Minute, "panic a test binary that runs longer than `d` (0: never)")
	if status, ok := parseFlags(fs, args, exitUsage); !ok {
		return status
	}
	f.target = *target
	fail := func(err error) int {
		fmt.Fprintf(stderr, "gobi test: %v\n", err)
		return exitFailed
	}
	memMiB, err := vm.ParseMemory(f.mem)
	if err != nil {
		return fail(err)
	}
	if fs.NArg() == 0 {
		fmt.Fprintf(stderr, "gobi test: name the packages to test\nusage: gobi test %s\n", testUsage)
		return exitUsage
	}
	b, err := build.New(ctx, build.Options{Target: f.target})
	if err != nil {
		return fail(err)
	}
	pkgs, err := b.Resolve(ctx, fs.Args())
	if err != nil {
		return fail(err)
	}
	var m *machine
	if f.target == build.TargetQEMU {
		if m, err = newMachine(ctx, f.accel, stderr); err != nil {
			return fail(err)
		}
	}
	dir, err := os.MkdirTemp("", "gobi-test-")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(dir)

	// A signal ends the whole run: gobi test is not the program.
	ctx, stop := signal.NotifyContext(ctx, forwardedSignals...)
	defer stop()

	// One package streams its -v output as it runs; several run in
	// parallel and print in order, each when it is done.
	t := &tester{b: b, m: m, f: f, memMiB: memMiB, dir: dir, stderr: stderr,
		stream: len(pkgs) == 1 && f.verbose && !f.json}
	results := make([]chan []byte, len(pkgs))
	failed := make([]bool, len(pkgs))
	for i := range results {
		results[i] = make(chan []byte, 1)
	}
	go func() {
		sem := make(chan struct{}, runtime.NumCPU())
		for i, p := range pkgs {
			sem <- struct{}{} // in order, so the first packages finish first
			go func() {
				defer func() { <-sem }()
				var out bytes.Buffer
				var w io.Writer = &out
				if t.stream {
					w = stdout
				}
				failed[i] = !t.testPackage(ctx, i, p, w)
				results[i] <- out.Bytes()
			}()
		}
	}()
	status := 0
	for i, p := range pkgs {
		out := <-results[i]
		if failed[i] {
			status = exitFailed
		}
		if f.json {
			if err := toJSON(ctx, p.ImportPath, out, stdout, stderr); err != nil {
				return fail(err)
			}
		} else {
			stdout.Write(out)
		}
	}
	if status != 0 && !f.json {
		fmt.Fprintln(stdout, "FAIL")
	}
	return status
}

// tester runs the tests of packages.
type tester struct {
	b      *build.Builder
	m      *machine // nil for -target host
	f      testFlags
	memMiB uint64
	dir    string
	stderr io.Writer
	stream bool // write the output of the only package as it comes
}

// testPackage builds and runs the tests of p, writing what go test would
// print for it to w, and reports whether they passed.
func (t *tester) testPackage(ctx context.Context, i int, p *build.Package, w io.Writer) bool {
	if !p.HasTests {
		fmt.Fprintf(w, "?   \t%s\t[no test files]\n", p.ImportPath)
		return true
	}
	bin := filepath.Join(t.dir, fmt.Sprintf("%d-%s.test", i, p.Name))
	if err := t.build(ctx, p, bin); err != nil {
		fmt.Fprintf(t.stderr, "%v\n", err)
		fmt.Fprintf(w, "FAIL\t%s [build failed]\n", p.ImportPath)
		return false
	}
	// go test merges the binary's stdout and stderr into one stream.
	var captured bytes.Buffer
	var sink io.Writer = &captured
	if t.stream {
		sink = io.MultiWriter(&captured, w)
	}
	merged := &lockedWriter{w: sink}
	start := time.Now()
	status, err := t.runBinary(ctx, p, bin, merged)
	elapsed := fmt.Sprintf("%.3fs", time.Since(start).Seconds())
	if err != nil {
		fmt.Fprintf(merged, "gobi: %v\n", err)
		status = vm.ExitFailure
	}
	data := captured.Bytes()
	show := func() {
		if !t.stream {
			w.Write(data)
		}
		if len(data) > 0 && !bytes.HasSuffix(data, []byte("\n")) {
			io.WriteString(w, "\n")
		}
	}
	if status == 0 {
		if t.f.verbose || t.f.json {
			show()
		}
		norun := ""
		if bytes.HasPrefix(data, noTestsToRun[1:]) || bytes.Contains(data, noTestsToRun) {
			norun = " [no tests to run]"
		}
		fmt.Fprintf(w, "ok  \t%s\t%s%s\n", p.ImportPath, elapsed, norun)
		return true
	}
	show()
	if len(data) == 0 {
		fmt.Fprintf(w, "exit status %d\n", status)
	}
	prefix := ""
	if t.f.json {
		prefix = "\x16" // test2json: a framing line, not test output (cmd/go does the same)
	}
	fmt.Fprintf(w, "%sFAIL\t%s\t%s\n", prefix, p.ImportPath, elapsed)
	return false
}

// noTestsToRun is what a test binary prints when -run matches nothing.
var noTestsToRun = []byte("\ntesting: warning: no tests to run\n")

func (t *tester) build(ctx context.Context, p *build.Package, bin string) error {
	var files []string
	if t.f.target != build.TargetHost {
		var err error
		if files, err = t.b.TestFiles(p); err != nil {
			return err
		}
	}
	return t.b.BuildTest(ctx, p, bin, files)
}

// testArgs translates gobi test's flags into the test binary's -test.*
// flags, as go test does.
func (f *testFlags) testArgs() []string {
	args := []string{"-test.paniconexit0", "-test.timeout=" + f.timeout.String()}
	switch {
	case f.json:
		args = append(args, "-test.v=test2json")
	case f.verbose:
		args = append(args, "-test.v=true")
	}
	if f.short {
		args = append(args, "-test.short=true")
	}
	if f.run != "" {
		args = append(args, "-test.run="+f.run)
	}
	if f.count != 1 {
		args = append(args, "-test.count="+strconv.Itoa(f.count))
	}
	return args
}

// runBinary runs one test binary in a VM, in the sandbox, or on the host for
// -target host, with the package directory as its working directory.
func (t *tester) runBinary(ctx context.Context, p *build.Package, bin string, out io.Writer) (int, error) {
	var backstop time.Duration
	if t.f.timeout > 0 {
		backstop = t.f.timeout + testKillMargin
	}
	args := t.f.testArgs()
	argv := append([]string{p.Name + ".test"}, args...)
	env := []string{"GOROOT=" + t.b.GuestGOROOT()}
	if t.f.target == build.TargetSandbox {
		return vm.RunSandbox(ctx, &vm.SandboxConfig{
			Path: bin, Entry: build.SandboxEntrySymbol, Argv: argv, Env: env, Dir: p.RealDir,
			Stdout: out, Stderr: out, Console: t.stderr, Timeout: backstop,
		})
	}
	if t.m == nil {
		return vm.RunHost(ctx, &vm.HostConfig{
			Path: bin, Args: args, Env: os.Environ(), Dir: p.RealDir,
			Stdout: out, Stderr: out, Console: t.stderr, Timeout: backstop,
		})
	}
	cmdline := vm.Cmdline{
		Argv:   argv,
		Env:    env,
		Cwd:    p.RealDir,
		TSCKHz: t.m.tscKHz,
	}
	return vm.Run(ctx, &vm.Config{
		QEMU: t.m.qemu, Image: bin, MemoryMiB: t.memMiB, Accel: t.m.accel,
		Cmdline: cmdline.String(),
		Stdout:  out, Stderr: out, Console: t.stderr, Timeout: backstop,
	})
}

// toJSON converts one package's go test output to go test -json's events
// with the go command's own converter.
func toJSON(ctx context.Context, pkg string, out []byte, stdout, stderr io.Writer) error {
	cmd := exec.CommandContext(ctx, "go", "tool", "test2json", "-t", "-p", pkg)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(out), stdout, stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go tool test2json: %w", err)
	}
	return nil
}

// lockedWriter serializes writes from the program's two streams.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
