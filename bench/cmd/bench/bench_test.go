package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gobi-os/gobi/bench/internal/timed"
	"github.com/gobi-os/gobi/bench/linuxguest"
)

func TestLinuxExitStatus(t *testing.T) {
	for _, tc := range []struct {
		console string
		want    int
	}{
		{"[    1.183410] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000300\n", 3},
		{"[    1.1] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000000\n", 0},
		{"[    1.1] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000009\n", 137}, // SIGKILL
		{"[    1.1] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000200\n", 2},
	} {
		got, err := linuxExitStatus(tc.console)
		if err != nil || got != tc.want {
			t.Errorf("linuxExitStatus(%q) = %d, %v; want %d", tc.console, got, err, tc.want)
		}
	}
	if _, err := linuxExitStatus("[    0.5] Out of memory\n"); err == nil {
		t.Error("linuxExitStatus without the init report = nil error, want one")
	}
}

func TestIsLinuxProgramLine(t *testing.T) {
	for text, want := range map[string]bool{
		"[    0.228853] PCI: Fatal: No config space access function found": false,
		"[12345.000001] Call Trace:":                                       false,
		"hello from gobi":                                                  true,
		"[not a timestamp] but a program line":                             true,
	} {
		if got := isLinuxProgramLine(timed.Line{Text: text}); got != want {
			t.Errorf("isLinuxProgramLine(%q) = %v, want %v", text, got, want)
		}
	}
}

func TestParseWrk(t *testing.T) {
	ok := `Running 10s test @ http://127.0.0.1:18080/
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.85ms    1.02ms  20.01ms   90.00%
    Req/Sec     1.65k   100.00     1.80k    70.00%
  16520 requests in 10.00s, 2.30MB read
Requests/sec:   1652.34
Transfer/sec:    235.19KB
`
	if got, failed, err := parseWrk([]byte(ok)); err != nil || got != 1652.34 || failed != "" {
		t.Errorf("parseWrk(ok) = %v, %q, %v; want 1652.34 and no failures", got, failed, err)
	}
	bad := strings.Replace(ok, "Requests/sec", "  Socket errors: connect 0, read 3, write 0, timeout 8\n  Non-2xx or 3xx responses: 5\nRequests/sec", 1)
	want := "Socket errors: connect 0, read 3, write 0, timeout 8; Non-2xx or 3xx responses: 5"
	if got, failed, err := parseWrk([]byte(bad)); err != nil || got != 1652.34 || failed != want {
		t.Errorf("parseWrk(with failures) = %v, %q, %v; want 1652.34, %q", got, failed, err, want)
	}
	if _, _, err := parseWrk([]byte("unable to connect to 127.0.0.1:1 Connection refused\n")); err == nil {
		t.Error("parseWrk(no rate) = nil error, want one")
	}
}

func TestMedianAndRatio(t *testing.T) {
	if got := median([]float64{5, 1, 3}); got != 3 {
		t.Errorf("median(5 1 3) = %v, want 3", got)
	}
	if got := median([]float64{4, 1, 3, 2}); got != 2.5 {
		t.Errorf("median(4 1 3 2) = %v, want 2.5", got)
	}
	if got := ratio(4000, 100); got != "40.0x" {
		t.Errorf("ratio(4000, 100) = %q, want 40.0x", got)
	}
	if got := ratio(4000, 0); got != "-" {
		t.Errorf("ratio(4000, 0) = %q, want -", got)
	}
}

func TestShellQuote(t *testing.T) {
	got := shellQuote([]string{"qemu", "-append", "console=ttyS0 quiet", "it's"})
	want := `qemu -append 'console=ttyS0 quiet' 'it'\''s'`
	if got != want {
		t.Errorf("shellQuote = %s, want %s", got, want)
	}
}

// TestServer runs the benchmark's server on the host, as the "host process"
// target does, and checks that HTTP answers and the sink counts every byte.
func TestServer(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("the server is built for linux/amd64")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bin := filepath.Join(t.TempDir(), "server")
	if err := linuxguest.BuildStatic(ctx, "github.com/gobi-os/gobi/bench/net/server", bin); err != nil {
		t.Fatal(err)
	}
	httpPort, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	sinkPort, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	p, err := startServer(ctx, []string{bin, "-http", fmt.Sprintf("127.0.0.1:%d", httpPort), "-sink", fmt.Sprintf("127.0.0.1:%d", sinkPort)}, "server: listening", httpPort)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	mbs, err := bulkSend(ctx, fmt.Sprintf("127.0.0.1:%d", sinkPort), 200*time.Millisecond)
	if err != nil || mbs <= 0 {
		t.Errorf("bulkSend = %v MB/s, %v; want a positive rate", mbs, err)
	}
}

func TestPairedRatio(t *testing.T) {
	r := netReport{
		targets: []netTarget{{name: "a"}, {name: "b"}},
		results: []netResult{{reqs: []float64{100, 200, 300}}, {reqs: []float64{100, 100, 600}}},
	}
	reqs := func(n netResult) []float64 { return n.reqs }
	// Round by round: 1, 2 and 0.5, so 1; the ratio of the medians
	// (200 / 100) would say 2.
	if got := r.paired(reqs, 0, 1); got != "1.00x" {
		t.Errorf("paired = %s, want 1.00x", got)
	}
	var b strings.Builder
	r.printRounds(&b, "requests/s", reqs, 0, 1)
	if want := "requests/s, a / b per round: 1.00 2.00 0.50\n"; b.String() != want {
		t.Errorf("printRounds = %q, want %q", b.String(), want)
	}
	r.targets[1].err = errors.New("not measured")
	if got := r.paired(reqs, 0, 1); got != "-" {
		t.Errorf("paired with an unmeasured target = %s, want -", got)
	}
}
