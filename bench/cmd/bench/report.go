package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// bootReport is everything the boot group prints.
type bootReport struct {
	pkg      string
	mem      string
	n        int
	targets  []bootTarget
	results  [][]bootResult // per target, per boot
	smallest []uint64       // per target, MiB; 0 if not measured
}

// printBoot prints the boot table. The ratio column compares the Linux guest
// (the last target) with gobi's QEMU invocation (the second), which is timed
// the same way: from QEMU's process start.
func printBoot(w io.Writer, r bootReport) {
	fmt.Fprintf(w, "\nboot: %s, QEMU TCG microvm, -m %s, median of %d boots, %s\n",
		r.pkg, r.mem, r.n, stamp())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	header := []string{""}
	for _, t := range r.targets {
		header = append(header, t.name)
	}
	header = append(header, "Linux/Gobi", "goal")
	row(tw, header...)
	med := func(f func(bootResult) float64) []float64 {
		var m []float64
		for i, rs := range r.results {
			if r.targets[i].err != nil {
				rs = nil // partial results of a failed target are not shown
			}
			var v []float64
			for _, x := range rs {
				v = append(v, f(x))
			}
			m = append(m, median(v))
		}
		return m
	}
	gobi, linux := 1, len(r.targets)-1
	first := med(func(b bootResult) float64 { return b.first.Seconds() * 1000 })
	exit := med(func(b bootResult) float64 { return b.exit.Seconds() * 1000 })
	touched := med(func(b bootResult) float64 { return float64(b.touched) / (1 << 20) })
	row(tw, append(append([]string{"start → first output"}, format(first, "%.0f ms")...), ratio(first[linux], first[gobi]), "≥20x")...)
	row(tw, append(append([]string{"start → exit"}, format(exit, "%.0f ms")...), ratio(exit[linux], exit[gobi]), "≥20x")...)
	var sizes []float64
	for _, t := range r.targets {
		sizes = append(sizes, float64(t.size)/1e6)
	}
	row(tw, append(append([]string{"image size"}, format(sizes, "%.1f MB")...), ratio(sizes[linux], sizes[gobi]), "≥4x")...)
	var minMiB []float64
	for _, m := range r.smallest {
		minMiB = append(minMiB, float64(m))
	}
	row(tw, append(append([]string{"smallest -m"}, format(minMiB, "%.0f MiB")...), ratio(minMiB[linux], minMiB[gobi]), "≥4x")...)
	row(tw, append(append([]string{"guest RAM touched"}, format(touched, "%.1f MiB")...), ratio(touched[linux], touched[gobi]), "")...)
	tw.Flush()
	for _, t := range r.targets {
		if t.err != nil {
			fmt.Fprintf(w, "%s: not measured: %v\n", t.name, firstLine(t.err.Error()))
		}
	}
}

// firstLine returns s up to its first newline.
func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

// stamp says when the numbers were taken and how busy the host was: TCG
// numbers scale with the CPU time the host can spare.
func stamp() string {
	avg := "unknown"
	if b, err := os.ReadFile("/proc/loadavg"); err == nil && len(strings.Fields(string(b))) >= 3 {
		avg = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	return fmt.Sprintf("%s, %d CPUs, load average %s", time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.NumCPU(), avg)
}

// row writes one tab-separated table row.
func row(w io.Writer, cells ...string) {
	fmt.Fprintln(w, strings.Join(cells, "\t")+"\t")
}

// format formats each value; 0 (not measured) shows as "-".
func format(v []float64, f string) []string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = "-"
		if x > 0 {
			s[i] = fmt.Sprintf(f, x)
		}
	}
	return s
}

// ratio formats a/b, or "-" when b is not positive.
func ratio(a, b float64) string {
	if b <= 0 || a <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1fx", a/b)
}

// median returns the median of v (the mean of the middle two for even
// lengths), or 0 for none.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// netReport is everything the net group prints.
type netReport struct {
	mem string
	load
	targets []netTarget // gobi first, the Linux guest second
	results []netResult
}

// column is one row's values: f of each measured target's result, 0 for a
// target that was not measured.
func (r netReport) column(f func(netResult) float64) []float64 {
	v := make([]float64, len(r.results))
	for i, res := range r.results {
		if r.targets[i].err == nil {
			v[i] = f(res)
		}
	}
	return v
}

// printNotes says, under a table, why a target was not measured and which
// runs had failed requests or a lost notification.
func (r netReport) printNotes(w io.Writer) {
	for i, t := range r.targets {
		if t.err != nil {
			fmt.Fprintf(w, "%s: not measured: %v\n", t.name, firstLine(t.err.Error()))
			continue
		}
		for _, f := range r.results[i].failures {
			fmt.Fprintf(w, "%s: %s\n", t.name, f)
		}
	}
}

// printNet prints the net table. The ratio column says how many times
// better Gobi is (higher is better).
func printNet(w io.Writer, r netReport) {
	fmt.Fprintf(w, "\nnet: bench/net/server, QEMU TCG microvm, user networking (hostfwd), -m %s, %s\n",
		r.mem, stamp())
	fmt.Fprintf(w, "wrk -t1 -c%d -d%v, TCP bulk %v into the guest; median of %d interleaved rounds; gain: median of the per-round ratios\n", r.conns, r.dur, r.bulk, r.runs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	header := []string{""}
	for _, t := range r.targets {
		header = append(header, t.name)
	}
	row(tw, append(header, "Gobi gain", "goal")...)
	gobi, linux := 0, 1
	line := func(name, unit string, v []float64, q, goal string) {
		row(tw, append(append([]string{name}, format(v, unit)...), q, goal)...)
	}
	reqs := func(n netResult) []float64 { return n.reqs }
	bulk := func(n netResult) []float64 { return n.bulk }
	line("HTTP requests/s", "%.0f", r.column(func(n netResult) float64 { return median(n.reqs) }), r.paired(reqs, gobi, linux), "≥1.0x")
	line("TCP bulk into guest", "%.1f MB/s", r.column(func(n netResult) float64 { return median(n.bulk) }), r.paired(bulk, gobi, linux), "≥1.0x")
	cpu := func(n netResult) []float64 { return n.cpu }
	line("server CPU per request", "%.0f µs", r.column(func(n netResult) float64 { return median(n.cpu) }), r.paired(cpu, linux, gobi), "")
	lower := func(name, unit string, v []float64) { line(name, unit, v, ratio(v[linux], v[gobi]), "") }
	lower("start → network up", "%.0f ms", r.column(func(n netResult) float64 { return n.up.Seconds() * 1000 }))
	lower("start → first HTTP 200", "%.0f ms", r.column(func(n netResult) float64 { return n.firstOK.Seconds() * 1000 }))
	lower("guest RAM touched", "%.1f MiB", r.column(func(n netResult) float64 { return float64(n.touched) / (1 << 20) }))
	tw.Flush()
	r.printRounds(w, "requests/s", reqs, gobi, linux)
	r.printRounds(w, "bulk", bulk, gobi, linux)
	r.printNotes(w)
}

// roundRatios returns a's value over b's for every round both measured.
func (r netReport) roundRatios(f func(netResult) []float64, a, b int) []float64 {
	if r.targets[a].err != nil || r.targets[b].err != nil {
		return nil
	}
	va, vb := f(r.results[a]), f(r.results[b])
	var q []float64
	for i := 0; i < len(va) && i < len(vb); i++ {
		if vb[i] > 0 {
			q = append(q, va[i]/vb[i])
		}
	}
	return q
}

// paired formats the median of target a's per-round ratios to target b:
// each round measures both within a minute, so the ratio cancels most of
// the host's drift between rounds.
func (r netReport) paired(f func(netResult) []float64, a, b int) string {
	q := r.roundRatios(f, a, b)
	if len(q) == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", median(q))
}

// printRounds prints target a's per-round ratios to target b.
func (r netReport) printRounds(w io.Writer, what string, f func(netResult) []float64, a, b int) {
	q := r.roundRatios(f, a, b)
	if len(q) == 0 {
		return
	}
	fmt.Fprintf(w, "%s, %s / %s per round:", what, r.targets[a].name, r.targets[b].name)
	for _, x := range q {
		fmt.Fprintf(w, " %.2f", x)
	}
	fmt.Fprintln(w)
}
