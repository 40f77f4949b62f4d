package vm

import (
	"bytes"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestChannelRead(t *testing.T) {
	for _, tc := range []struct {
		in      string
		outcome outcome
		status  int
		console string
	}{
		{"boot ok\n\x01exit 3\n", outcomeExit, 3, "gobi: boot ok\n"},
		{"\x01exit 0\n", outcomeExit, 0, ""},
		{"trap 14 at 0x1234\n\x01fault\n", outcomeFault, 0, "gobi: trap 14 at 0x1234\n"},
		{"\x01oom\n", outcomeOOM, 0, ""},
		{"no newline at the end", outcomeNone, 0, "gobi: no newline at the end\n"},
		{"\x01exit 300\n", outcomeNone, 0, "gobi: bad exit record \"exit 300\" from the guest kernel\n"},
		{"\x01hello\n", outcomeNone, 0, "gobi: unknown record \"hello\" from the guest kernel\n"},
	} {
		ch := newChannel(nil)
		var console bytes.Buffer
		if err := ch.read(strings.NewReader(tc.in), &console); err != nil {
			t.Fatalf("read(%q): %v", tc.in, err)
		}
		o, s := ch.result()
		if o != tc.outcome || s != tc.status || console.String() != tc.console {
			t.Errorf("read(%q) = %v, %d, console %q; want %v, %d, %q", tc.in, o, s, console.String(), tc.outcome, tc.status, tc.console)
		}
	}
}

func TestChannelLongLine(t *testing.T) {
	ch := newChannel(nil)
	var console bytes.Buffer
	long := strings.Repeat("x", maxLine+10)
	if err := ch.read(strings.NewReader(long+"\n"), &console); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(console.String(), "gobi: "); got != 2 {
		t.Errorf("a %d-byte line printed as %d messages, want 2", len(long), got)
	}
}

func TestChannelSend(t *testing.T) {
	var out bytes.Buffer
	ch := newChannel(&out)
	ch.markReady()
	ch.send("sig 15")
	if out.String() != "\x01sig 15\n" {
		t.Errorf("send(sig 15) wrote %q", out.String())
	}
}

// TestChannelNamesKernelStack: a fault report's stack line is followed by
// one line per address, named from the image's symbols (here a small
// program's, built with them).
func TestChannelNamesKernelStack(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte("package main\n\nfunc main() { println(1) }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "prog")
	if out, err := exec.Command("go", "build", "-o", exe, src).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	f, err := elf.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	syms, err := f.Symbols()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	var pc uint64
	for _, s := range syms {
		if s.Name == "main.main" {
			pc = s.Value
		}
	}
	ch := newChannel(nil)
	ch.image = exe
	var console bytes.Buffer
	line := fmt.Sprintf("kernel stack: %#x %#x 0x1\n", pc, pc+5)
	if err := ch.read(strings.NewReader(line), &console); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("gobi: %sgobi:   %#x main.main+0x0\ngobi:   %#x main.main+0x5\ngobi:   0x1 ?\n", line, pc, pc+5)
	if pc == 0 || console.String() != want {
		t.Errorf("printed\n%s\nwant\n%s", console.String(), want)
	}
	if loadSymbols(filepath.Join(dir, "missing")) != nil {
		t.Error("symbols from a file that does not exist")
	}
}
