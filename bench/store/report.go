package main

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
)

// printTables prints the results side by side, with ratios against the
// store.
func printTables(rs map[string]*result) {
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	defer w.Flush()
	fmt.Fprintf(w, "load average at the end: %s (cpu s is user+system time, robust to other load)\n", loadAvg())
	ops := func(r *result) float64 { return float64(r.Ops[0] + r.Ops[1] + r.Ops[2]) }
	rate := func(r *result) float64 { return ops(r) / r.Seconds }
	cpuRate := func(r *result) float64 { return ops(r) / r.CPUSeconds }
	heap := func(r *result) string { // not measured for git's own process
		if r.AnonMB == 0 {
			return "-"
		}
		return fmt.Sprintf("%.0f", r.AnonMB)
	}
	if s := rs["trace-store"]; s != nil {
		fmt.Fprintf(w, "\ntrace (adds, finds, removes per commit: %d, %d, %d; keys index/XX/YY/NNNNNNN, depth 4; values %d-%d bytes)\n", addsPer, findsPer, removesPer, minValue, maxValue)
		fmt.Fprintln(w, "case\tcommits\tadds\tfinds\tremoves\tseconds\tcpu s\tops/s\tops/cpu-s\tcommit p50 ms\tcommit p99 ms\tRSS MiB\theap MiB\tdisk MiB\tspeedup (wall)\tspeedup (cpu)\t")
		for _, name := range []string{"trace-store", "trace-gogit"} {
			r := rs[name]
			if r == nil {
				continue
			}
			fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t%.1f\t%.1f\t%.0f\t%.0f\t%.2f\t%.2f\t%.0f\t%.0f\t%.0f\t%.2fx\t%.2fx\t\n", name, r.Commits, r.Ops[0], r.Ops[1], r.Ops[2], r.Seconds, r.CPUSeconds, rate(r), cpuRate(r), r.Latency[0], r.Latency[1], r.RSSMB, r.AnonMB, r.DiskMB, rate(s)/rate(r), cpuRate(s)/cpuRate(r))
		}
		if g := rs["trace-gogit"]; g != nil && g.Commits == s.Commits && g.Tree != s.Tree {
			fmt.Fprintf(w, "WARNING: go-git built tree %s, the store %s\n", g.Tree, s.Tree)
		}
	}
	if s := rs["writes-store"]; s != nil {
		fmt.Fprintln(w, "\nwrites only (the trace without finds)")
		fmt.Fprintln(w, "case\tcommits\tadds\tremoves\tseconds\tcpu s\twrites/s\twrites/cpu-s\tRSS MiB\theap MiB\tdisk MiB\tspeedup (wall)\tspeedup (cpu)\t")
		for _, name := range []string{"writes-store", "writes-fastimport"} {
			r := rs[name]
			if r == nil {
				continue
			}
			fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%.1f\t%.1f\t%.0f\t%.0f\t%.0f\t%s\t%.0f\t%.2fx\t%.2fx\t\n", name, r.Commits, r.Ops[0], r.Ops[2], r.Seconds, r.CPUSeconds, rate(r), cpuRate(r), r.RSSMB, heap(r), r.DiskMB, rate(s)/rate(r), cpuRate(s)/cpuRate(r))
		}
		if f := rs["writes-fastimport"]; f != nil && f.Tree != s.Tree {
			fmt.Fprintf(w, "WARNING: fast-import built tree %s, the store %s\n", f.Tree, s.Tree)
		}
	}
	if r := rs["bigdir"]; r != nil {
		fmt.Fprintln(w, "\none directory, 2 commits (goal <= 7 s; Irmin 2.x published 76.2 s, 237 MB)")
		fmt.Fprintln(w, "entries\tseconds\tcommit 1 ms\tcommit 2 ms\tRSS MiB\theap MiB\tdisk MiB\t")
		fmt.Fprintf(w, "%d\t%.2f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t\n", r.Ops[0]-2, r.Seconds, r.Extra["commit1_ms"], r.Extra["commit2_ms"], r.RSSMB, r.AnonMB, r.DiskMB)
	}
	if r := rs["merge"]; r != nil {
		e := r.Extra
		fmt.Fprintln(w, "\nmerge of two branches (goal <= 50 ms)")
		fmt.Fprintln(w, "keys\tchanged per side\tsetup s\tfirst ms\tmedian ms\tmin ms\tRSS MiB\theap MiB\t")
		fmt.Fprintf(w, "%.0f\t%.0f\t%.1f\t%.1f\t%.1f\t%.1f\t%.0f\t%.0f\t\n", e["keys"], e["changes_side"], e["setup_s"], e["first_ms"], e["median_ms"], e["min_ms"], r.RSSMB, r.AnonMB)
	}
	if r := rs["sync"]; r != nil {
		fmt.Fprintf(w, "\nsync of k changed keys in a store of %.0f keys (goal: bytes proportional to k)\n", r.Extra["keys"])
		fmt.Fprintln(w, "server\top\tk\tobjects\tbytes sent\tbytes received\tbytes/k\tround trips\tms\t")
		for _, s := range r.Sync {
			fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%d\t%.0f\t%d\t%.1f\t\n", s.Server, s.Op, s.K, s.Objects, s.BytesSent, s.BytesRecv, float64(s.BytesSent+s.BytesRecv)/float64(s.K), s.RoundTrips, s.Millis)
		}
	}
}

// loadAvg returns /proc/loadavg's first three fields: the machine may be
// shared, and wall-clock numbers mean little under load.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
