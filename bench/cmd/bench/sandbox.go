package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/gobi-os/gobi/bench/internal/timed"
)

// The sandbox group: bench/net/server as a plain host process and as a
// sandbox (docs/sandbox.md) over a tap device, side by side, with the
// rootless user-mode network beside them. No VM is involved: this measures
// what confinement and Gobi's own stack cost a host process.

// Addresses of the tap device the group creates (root only).
const (
	benchTap       = "gobibench0"
	benchTapHost   = "10.77.0.1/24"
	benchTapGuest  = "10.77.0.2"
	benchTapPrefix = "/24"
)

func runSandbox(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c common
	var l load
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	c.register(fs)
	l.register(fs)
	if err := parseLoad(fs, args, &l); err != nil {
		return err
	}
	cleanup, err := c.setup(stderr)
	if err != nil {
		return err
	}
	defer cleanup()

	host, err := hostTarget(ctx, &c)
	if err != nil {
		return err
	}
	g, err := buildGobi(ctx, &c, stderr)
	if err != nil {
		return err
	}
	sandboxBin := filepath.Join(c.work, "server.sandbox")
	fmt.Fprintf(stderr, "gobi build -target sandbox -o %s %s\n", sandboxBin, serverPkg)
	if out, err := exec.CommandContext(ctx, g.bin, "build", "-target", "sandbox", "-o", sandboxBin, serverPkg).CombinedOutput(); err != nil {
		return fmt.Errorf("gobi build -target sandbox: %w\n%s", err, out)
	}

	targets := []netTarget{host, {
		name:  "sandbox, tap",
		host:  benchTapGuest,
		ports: [2]int{guestHTTPPort, guestSinkPort},
		start: func(ctx context.Context, httpPort, sinkPort int) (*timed.Proc, error) {
			cmd := []string{g.bin, "run", "-target", "sandbox", "-net", "tap:" + benchTap, "-ip", benchTapGuest + benchTapPrefix, sandboxBin}
			return startServerAt(ctx, cmd, "gobi: network up", benchTapGuest, httpPort)
		},
	}, {
		name: "sandbox, user (rootless)",
		start: func(ctx context.Context, httpPort, sinkPort int) (*timed.Proc, error) {
			cmd := append(append([]string{g.bin, "run", "-target", "sandbox"}, portFlags(httpPort, sinkPort)...), sandboxBin)
			return startServer(ctx, cmd, "gobi: network up", httpPort)
		},
	}}
	if os.Geteuid() != 0 {
		targets[1].err = fmt.Errorf("needs root to create the tap device %s", benchTap)
	} else {
		removeTap, err := makeTap()
		if err != nil {
			return err
		}
		defer removeTap()
	}

	results, err := measureTargets(ctx, targets, l, stderr)
	if err != nil {
		return err
	}
	printSandbox(stdout, netReport{load: l, targets: targets, results: results})
	return nil
}

// makeTap creates the tap device with the host's address on it.
func makeTap() (func(), error) {
	ip := func(args ...string) error {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	exec.Command("ip", "link", "delete", benchTap).Run() // a leftover from an interrupted run
	remove := func() { exec.Command("ip", "link", "delete", benchTap).Run() }
	for _, args := range [][]string{
		{"tuntap", "add", "dev", benchTap, "mode", "tap"},
		{"addr", "add", benchTapHost, "dev", benchTap},
		{"link", "set", benchTap, "up"},
	} {
		if err := ip(args...); err != nil {
			remove()
			return nil, err
		}
	}
	return remove, nil
}

// printSandbox prints the sandbox table: each sandbox column's ratio to the
// host process (higher is better).
func printSandbox(w io.Writer, r netReport) {
	fmt.Fprintf(w, "\nsandbox: bench/net/server as a host process (loopback) and in the sandbox, %s\n", stamp())
	fmt.Fprintf(w, "wrk -t1 -c%d -d%v, TCP bulk %v into the server; median of %d runs\n", r.conns, r.dur, r.bulk, r.runs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	header := []string{""}
	for _, t := range r.targets {
		header = append(header, t.name)
	}
	row(tw, append(header, "tap/host", "user/host", "goal")...)
	line := func(name, unit string, v []float64, goal string) {
		row(tw, append(append([]string{name}, format(v, unit)...), ratio(v[1], v[0]), ratio(v[2], v[0]), goal)...)
	}
	line("HTTP requests/s", "%.0f", r.column(func(n netResult) float64 { return median(n.reqs) }), "tap ≥0.8x")
	line("TCP bulk in", "%.1f MB/s", r.column(func(n netResult) float64 { return median(n.bulk) }), "")
	tw.Flush()
	r.printNotes(w)
}
