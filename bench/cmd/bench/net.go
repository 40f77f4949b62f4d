package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gobi-os/gobi/bench/internal/timed"
	"github.com/gobi-os/gobi/bench/linuxguest"
	"github.com/gobi-os/gobi/internal/vm"
)

// serverPkg is the program the net group runs in every guest.
const serverPkg = "./bench/net/server"

// Guest ports of serverPkg (its defaults).
const (
	guestHTTPPort = 8080
	guestSinkPort = 9000
)

// netTarget is one place the server runs.
type netTarget struct {
	name string
	// start starts the server with its HTTP and sink ports reachable on
	// the host's loopback at httpPort and sinkPort, and returns once it
	// answers HTTP.
	start func(ctx context.Context, httpPort, sinkPort int) (*timed.Proc, error)
	ram   int64 // guest RAM bytes; 0 for the host process
	err   error // why the target is not measured

	// host and ports, when set, are where clients reach the server
	// instead of free ports on the host's loopback (a guest on a tap
	// device serves on its own address and ports).
	host  string
	ports [2]int
}

// netResult is what the net group measured for one target.
type netResult struct {
	up, firstOK time.Duration // process start to "network up" and to the first HTTP 200
	reqs        []float64     // wrk requests/s, per run
	cpu         []float64     // the server's CPU time per request during wrk (µs), per run
	bulk        []float64     // bulk throughput into the guest, MB/s, per run
	touched     int64         // guest RAM touched after the runs, bytes
	failures    []string      // wrk's reports of failed requests, and lost notifications, per run that had any
}

// load is how the net and sandbox groups exercise a server: runs rounds,
// each one wrk run of dur with conns connections and one bulk transfer of
// bulk (measureTargets).
type load struct {
	runs  int
	dur   time.Duration
	conns int
	bulk  time.Duration
}

// register adds the load's flags to fs.
func (l *load) register(fs *flag.FlagSet) {
	fs.IntVar(&l.runs, "runs", 3, "rounds: each starts every server once for one wrk run and one bulk run; the median is reported")
	fs.DurationVar(&l.dur, "d", 10*time.Second, "duration of each wrk run")
	fs.IntVar(&l.conns, "c", 8, "wrk connections")
	fs.DurationVar(&l.bulk, "bulk", 5*time.Second, "duration of each bulk-throughput run")
}

// parseLoad parses a group's flags and checks that wrk is there.
func parseLoad(fs *flag.FlagSet, args []string, l *load) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 || l.runs < 1 {
		return fmt.Errorf("%s: want flags only and -runs >= 1", fs.Name())
	}
	_, err := lookWrk()
	return err
}

func runNet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c common
	var l load
	fs := flag.NewFlagSet("net", flag.ContinueOnError)
	c.register(fs)
	l.register(fs)
	mem := fs.String("m", "256M", "guest memory (QEMU -m syntax)")
	host := fs.Bool("host", true, "also measure the server as a plain host process, for scale")
	if err := parseLoad(fs, args, &l); err != nil {
		return err
	}
	cleanup, err := c.setup(stderr)
	if err != nil {
		return err
	}
	defer cleanup()
	targets, err := netTargets(ctx, &c, *mem, *host, stderr)
	if err != nil {
		return err
	}
	results, err := measureTargets(ctx, targets, l, stderr)
	if err != nil {
		return err
	}
	printNet(stdout, netReport{mem: *mem, load: l, targets: targets, results: results})
	return nil
}

// netTargets prepares the server for gobi, the Linux guest and the host.
func netTargets(ctx context.Context, c *common, mem string, host bool, log io.Writer) ([]netTarget, error) {
	mib, err := vm.ParseMemory(mem)
	if err != nil {
		return nil, err
	}
	ram := int64(mib) << 20
	linux, err := prepareLinux(ctx, c, serverPkg, true, log)
	if err != nil {
		return nil, err
	}
	targets := []netTarget{gobiNetTarget(ctx, c, mem, ram, log), {
		name: "Linux guest",
		ram:  ram,
		start: func(ctx context.Context, httpPort, sinkPort int) (*timed.Proc, error) {
			cmd, err := linux.command(mem, forwards(httpPort, sinkPort), nil)
			if err != nil {
				return nil, err
			}
			return startServer(ctx, cmd, "linuxguest: network up", httpPort)
		},
	}}
	if host {
		t, err := hostTarget(ctx, c)
		if err != nil {
			return nil, err
		}
		targets = append(targets, t)
	}
	return targets, nil
}

// hostTarget builds the server as a static host executable, serving on the
// host's loopback.
func hostTarget(ctx context.Context, c *common) (netTarget, error) {
	bin := filepath.Join(c.work, "server.host")
	if err := linuxguest.BuildStatic(ctx, serverPkg, bin); err != nil {
		return netTarget{}, err
	}
	return netTarget{
		name: "host process",
		start: func(ctx context.Context, httpPort, sinkPort int) (*timed.Proc, error) {
			cmd := []string{bin, "-http", fmt.Sprintf("127.0.0.1:%d", httpPort), "-sink", fmt.Sprintf("127.0.0.1:%d", sinkPort)}
			return startServer(ctx, cmd, "server: listening", httpPort)
		},
	}, nil
}

// portFlags returns gobi run's -p forwards of the server's two ports from
// the host's loopback.
func portFlags(httpPort, sinkPort int) []string {
	return []string{
		"-p", fmt.Sprintf("127.0.0.1:%d:%d", httpPort, guestHTTPPort),
		"-p", fmt.Sprintf("127.0.0.1:%d:%d", sinkPort, guestSinkPort),
	}
}

// gobiNetTarget prepares the server as a Gobi image, run with gobi run's
// port forwards. A build that fails leaves the target with the error, which
// the table shows.
func gobiNetTarget(ctx context.Context, c *common, mem string, ram int64, log io.Writer) netTarget {
	t := netTarget{name: "gobi run", ram: ram}
	g, err := buildGobi(ctx, c, log)
	if err != nil {
		t.err = err
		return t
	}
	image, _, err := g.build(ctx, c, serverPkg, log)
	if err != nil {
		t.err = err
		return t
	}
	t.start = func(ctx context.Context, httpPort, sinkPort int) (*timed.Proc, error) {
		return startServer(ctx, g.runCommand(mem, portFlags(httpPort, sinkPort), image), "gobi: network up", httpPort)
	}
	return t
}

// forwards returns QEMU hostfwd rules for the server's two ports.
func forwards(httpPort, sinkPort int) []string {
	return []string{
		fmt.Sprintf("tcp:127.0.0.1:%d-:%d", httpPort, guestHTTPPort),
		fmt.Sprintf("tcp:127.0.0.1:%d-:%d", sinkPort, guestSinkPort),
	}
}

// serverUpTimeout bounds a guest's boot to a serving HTTP server.
const serverUpTimeout = 3 * time.Minute

// startServer starts cmd, waits for the line starting with ready (the
// guest's network is up: connecting earlier can hang in QEMU's user
// networking), then polls HTTP until it answers 200.
func startServer(ctx context.Context, cmd []string, ready string, httpPort int) (*timed.Proc, error) {
	return startServerAt(ctx, cmd, ready, "127.0.0.1", httpPort)
}

// startServerAt is startServer for a server reached at host.
func startServerAt(ctx context.Context, cmd []string, ready, host string, httpPort int) (*timed.Proc, error) {
	ctx, cancel := context.WithTimeout(ctx, serverUpTimeout)
	defer cancel()
	p, err := timed.Start(cmd)
	if err != nil {
		return nil, err
	}
	if _, err := p.Log.Wait(ctx, func(l timed.Line) bool { return strings.HasPrefix(l.Text, ready) }); err != nil {
		p.Stop()
		return nil, fmt.Errorf("the guest's network did not come up: no %q line (%v); output:\n%s", ready, err, tail(p.Log.Text(), 20))
	}
	url := fmt.Sprintf("http://%s/", net.JoinHostPort(host, strconv.Itoa(httpPort)))
	client := &http.Client{Timeout: 5 * time.Second}
	for {
		resp, err := client.Get(url)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		select {
		case <-ctx.Done():
			p.Stop()
			return nil, fmt.Errorf("no HTTP 200 from %s (last error: %v); output:\n%s", url, err, tail(p.Log.Text(), 20))
		case <-p.Done():
			return nil, fmt.Errorf("server exited before answering HTTP; output:\n%s", tail(p.Log.Text(), 20))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// measureTargets measures every target that can be, in rounds: each round
// starts each target's server in turn, runs one wrk run and one bulk run
// against it and stops it. The host's own speed drifts (twofold within
// minutes on a shared machine), and interleaving spreads that drift over
// every target alike instead of charging it to whichever ran last. A target
// that fails records why in its err and the others go on. Only cancellation
// stops it.
func measureTargets(ctx context.Context, targets []netTarget, l load, log io.Writer) ([]netResult, error) {
	results := make([]netResult, len(targets))
	for round := 0; round < l.runs; round++ {
		for i := range targets {
			t := &targets[i]
			if t.err != nil {
				continue
			}
			fmt.Fprintf(log, "%s: round %d/%d\n", t.name, round+1, l.runs)
			r := &results[i]
			err := measureRound(ctx, t, l, round, r)
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if err != nil {
				t.err = err
				fmt.Fprintf(log, "%s: %v\n", t.name, err)
				continue
			}
			fmt.Fprintf(log, "%s: round %d/%d: %.0f requests/s, %.1f MB/s\n", t.name, round+1, l.runs, r.reqs[round], r.bulk[round])
		}
	}
	return results, nil
}

// measureRound starts one target, adds one wrk run and one bulk run to r,
// and stops it. The start-up times are the first round's (the later ones
// find the host's caches warm), the RAM touched the last round's.
func measureRound(ctx context.Context, t *netTarget, l load, round int, r *netResult) error {
	host, httpPort, sinkPort := t.host, t.ports[0], t.ports[1]
	if host == "" {
		host = "127.0.0.1"
		var err error
		if httpPort, err = freePort(); err != nil {
			return err
		}
		if sinkPort, err = freePort(); err != nil {
			return err
		}
	}
	p, err := t.start(ctx, httpPort, sinkPort)
	if err != nil {
		return err
	}
	defer p.Stop()
	if round == 0 {
		r.firstOK = p.Log.Since()
		if l, ok := p.Log.First(func(l timed.Line) bool {
			return strings.Contains(l.Text, "network up") || strings.HasPrefix(l.Text, "server: listening")
		}); ok {
			r.up = l.At
		}
	}
	cpu0, err := timed.TreeCPU(p.Pid())
	if err != nil {
		return err
	}
	rps, failed, err := runWrk(ctx, fmt.Sprintf("http://%s/", net.JoinHostPort(host, strconv.Itoa(httpPort))), l.dur, l.conns)
	if err != nil {
		return err
	}
	cpu1, err := timed.TreeCPU(p.Pid())
	if err != nil {
		return err
	}
	if rps > 0 {
		r.cpu = append(r.cpu, float64((cpu1-cpu0).Microseconds())/(rps*l.dur.Seconds()))
	}
	if failed != "" {
		r.failures = append(r.failures, fmt.Sprintf("wrk run %d: %s", round+1, failed))
	}
	r.reqs = append(r.reqs, rps)
	mbs, err := bulkSend(ctx, net.JoinHostPort(host, strconv.Itoa(sinkPort)), l.bulk)
	if err != nil {
		return diagnose(err, p, host, httpPort)
	}
	r.bulk = append(r.bulk, mbs)
	// A guest that recovered from a lost notification measured a stall of a
	// second or two; the table must say so (guestnet prints each one).
	for _, l := range p.Log.Lines() {
		if strings.Contains(l.Text, "network: lost notification:") {
			r.failures = append(r.failures, fmt.Sprintf("round %d: %s", round+1, l.Text))
		}
	}
	if t.ram > 0 {
		if r.touched, err = timed.GuestTouched(p.Pid(), t.ram); err != nil {
			return err
		}
	}
	return nil
}

// diagnose adds to a failed measurement's error whether the server still
// answers HTTP — a guest that does not has lost its network altogether, one
// that does has lost one connection — and its last output after a SIGQUIT:
// gobi run forwards it, and Go's runtime then prints every goroutine's
// stack (QEMU running a Linux guest just exits).
func diagnose(err error, p *timed.Proc, host string, httpPort int) error {
	probe := probeHTTP(host, httpPort)
	syscall.Kill(p.Pid(), syscall.SIGQUIT)
	select {
	case <-p.Done():
	case <-time.After(10 * time.Second):
	}
	return fmt.Errorf("%w\n%s; output after SIGQUIT:\n%s", err, probe, tail(p.Log.Text(), 300))
}

// probeHTTP says whether the server at host:port answers HTTP.
func probeHTTP(host string, port int) string {
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(fmt.Sprintf("http://%s/", net.JoinHostPort(host, strconv.Itoa(port))))
	if err != nil {
		return fmt.Sprintf("after it, HTTP fails too: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return fmt.Sprintf("after it, HTTP still answers %s", resp.Status)
}

// freePort returns a TCP port on the host's loopback that is free now.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// bulkSend streams data to the sink for about d, then half-closes and
// waits for the sink's byte count: the throughput is what the program
// received, divided by the time until it confirmed it, in MB/s.
func bulkSend(ctx context.Context, addr string, d time.Duration) (float64, error) {
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return 0, fmt.Errorf("bulk: %w", err)
	}
	defer conn.Close()
	// No read or write may hang the benchmark, whatever the guest does.
	conn.SetDeadline(time.Now().Add(d + time.Minute))
	buf := make([]byte, 64<<10)
	start := time.Now()
	var sent int64
	for time.Since(start) < d {
		n, err := conn.Write(buf)
		sent += int64(n)
		if err != nil {
			return 0, fmt.Errorf("bulk: after %d bytes: %w", sent, err)
		}
	}
	if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
		return 0, fmt.Errorf("bulk: %w", err)
	}
	reply, err := io.ReadAll(io.LimitReader(conn, 64))
	if err != nil {
		return 0, fmt.Errorf("bulk: reading the sink's count: %w", err)
	}
	elapsed := time.Since(start)
	got, err := strconv.ParseInt(strings.TrimSpace(string(reply)), 10, 64)
	if err != nil || got != sent {
		return 0, fmt.Errorf("bulk: sent %d bytes, the sink answered %q", sent, reply)
	}
	return float64(got) / 1e6 / elapsed.Seconds(), nil
}
