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
	"github.com/gobi-os/gobi/bench/linuxguest"
)

// The sandbox group: bench/net/server as a plain host process and as a
// sandbox (docs/sandbox.md) over a tap device, side by side, with the
// rootless user-mode network beside them, and the ceiling: the same
// handlers on gVisor's netstack over a tap device in a plain host process
// (bench/sandbox/gvisortap). No VM is involved: this measures what
// confinement and Gobi's own stack cost a host process, and how much of
// that the stack the sandbox must use costs by itself.

// The tap devices the group creates (root only): one for the sandbox, one
// for the gVisor-over-tap ceiling (bench/sandbox/gvisortap), each with the
// host's address on it and the server's beside it. Two, so the host's
// neighbour cache never holds the other server's Ethernet address.
const (
	benchTap       = "gobibench0"
	benchTapHost   = "10.77.0.1/24"
	benchTapGuest  = "10.77.0.2"
	ceilTap        = "gobibench1"
	ceilTapHost    = "10.78.0.1/24"
	ceilTapGuest   = "10.78.0.2"
	benchTapPrefix = "/24"
)

// ceilingPkg is the gVisor-over-tap server.
const ceilingPkg = "./bench/sandbox/gvisortap"

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

	ceilingBin := filepath.Join(c.work, "gvisortap")
	if err := linuxguest.BuildStatic(ctx, ceilingPkg, ceilingBin); err != nil {
		return err
	}

	targets := []netTarget{host, {
		name:  "sandbox, tap",
		host:  benchTapGuest,
		ports: [2]int{guestHTTPPort, guestSinkPort},
		start: func(ctx context.Context, httpPort, sinkPort int) (*timed.Proc, error) {
			// Each start has a new Ethernet address: the host must not
			// keep sending to the last one.
			exec.Command("ip", "neigh", "flush", "dev", benchTap).Run()
			cmd := []string{g.bin, "run", "-target", "sandbox", "-net", "tap:" + benchTap, "-ip", benchTapGuest + benchTapPrefix, sandboxBin}
			return startServerAt(ctx, cmd, "gobi: network up", benchTapGuest, httpPort)
		},
	}, {
		name: "sandbox, user (rootless)",
		start: func(ctx context.Context, httpPort, sinkPort int) (*timed.Proc, error) {
			cmd := append(append([]string{g.bin, "run", "-target", "sandbox"}, portFlags(httpPort, sinkPort)...), sandboxBin)
			return startServer(ctx, cmd, "gobi: network up", httpPort)
		},
	}, {
		name:  "gVisor, tap",
		host:  ceilTapGuest,
		ports: [2]int{guestHTTPPort, guestSinkPort},
		start: func(ctx context.Context, httpPort, sinkPort int) (*timed.Proc, error) {
			cmd := []string{ceilingBin, "-tap", ceilTap, "-ip", ceilTapGuest + benchTapPrefix}
			return startServerAt(ctx, cmd, "server: listening", ceilTapGuest, httpPort)
		},
	}}
	if os.Geteuid() != 0 {
		targets[1].err = fmt.Errorf("needs root to create the tap device %s", benchTap)
		targets[3].err = fmt.Errorf("needs root to create the tap device %s", ceilTap)
	} else {
		for _, t := range [][2]string{{benchTap, benchTapHost}, {ceilTap, ceilTapHost}} {
			removeTap, err := makeTap(t[0], t[1])
			if err != nil {
				return err
			}
			defer removeTap()
		}
	}

	results, err := measureTargets(ctx, targets, l, stderr)
	if err != nil {
		return err
	}
	printSandbox(stdout, netReport{load: l, targets: targets, results: results})
	return nil
}

// makeTap creates tap device name with the host's address addr on it.
func makeTap(name, addr string) (func(), error) {
	ip := func(args ...string) error {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	exec.Command("ip", "link", "delete", name).Run() // a leftover from an interrupted run
	remove := func() { exec.Command("ip", "link", "delete", name).Run() }
	for _, args := range [][]string{
		{"tuntap", "add", "dev", name, "mode", "tap"},
		{"addr", "add", addr, "dev", name},
		{"link", "set", name, "up"},
	} {
		if err := ip(args...); err != nil {
			remove()
			return nil, err
		}
	}
	return remove, nil
}

// printSandbox prints the sandbox table: each sandbox column's ratio to the
// host process (higher is better), the ceiling's (gVisor over tap with no
// sandbox) ratio to the host process, and the sandbox's share of that
// ceiling.
func printSandbox(w io.Writer, r netReport) {
	fmt.Fprintf(w, "\nsandbox: bench/net/server as a host process (loopback), in the sandbox, and on gVisor over tap without the sandbox, %s\n", stamp())
	fmt.Fprintf(w, "wrk -t1 -c%d -d%v, TCP bulk %v into the server; median of %d interleaved rounds; ratios: median of the per-round ratios\n", r.conns, r.dur, r.bulk, r.runs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	header := []string{""}
	for _, t := range r.targets {
		header = append(header, t.name)
	}
	row(tw, append(header, "tap/host", "user/host", "gVisor/host", "tap/gVisor", "goal")...)
	const host, tap, user, ceiling = 0, 1, 2, 3
	line := func(name, unit string, f func(netResult) []float64, goal string) {
		v := r.column(func(n netResult) float64 { return median(f(n)) })
		row(tw, append(append([]string{name}, format(v, unit)...),
			r.paired(f, tap, host), r.paired(f, user, host), r.paired(f, ceiling, host), r.paired(f, tap, ceiling), goal)...)
	}
	line("HTTP requests/s", "%.0f", func(n netResult) []float64 { return n.reqs }, "tap ≥0.8x host")
	line("TCP bulk in", "%.1f MB/s", func(n netResult) []float64 { return n.bulk }, "")
	// CPU time is lower-better: its ratios are the other way round, so
	// that they read like the rows above (host's CPU over the sandbox's).
	cpu := func(n netResult) []float64 { return n.cpu }
	v := r.column(func(n netResult) float64 { return median(n.cpu) })
	row(tw, append(append([]string{"server CPU per request"}, format(v, "%.1f µs")...),
		r.paired(cpu, host, tap), r.paired(cpu, host, user), r.paired(cpu, host, ceiling), r.paired(cpu, ceiling, tap), "")...)
	tw.Flush()
	r.printNotes(w)
}
