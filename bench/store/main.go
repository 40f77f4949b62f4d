// Command store benchmarks Gobi's store side by side with go-git and the
// git CLI on one machine, and prints the ratios (see docs/store-bench.md
// and run.sh). Each case runs in a child process of its own, so its peak
// RSS (VmHWM) is its own.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// result is what one case reports to the parent, as JSON.
type result struct {
	Case                 string             `json:"case"`
	Commits              int                `json:"commits"`
	Adds, Finds, Removes int                `json:"-"`
	Ops                  [3]int             `json:"ops"` // adds, finds, removes
	Seconds              float64            `json:"seconds"`
	CPUSeconds           float64            `json:"cpu_seconds"` // user + system`
	CommitP50, CommitP99 float64            `json:"-"`
	Latency              [2]float64         `json:"commit_ms"` // p50, p99
	RSSMB                float64            `json:"rss_mb"`
	AnonMB               float64            `json:"anon_mb"` // RssAnon at the end: RSS less mapped files`
	DiskMB               float64            `json:"disk_mb"`
	Tree                 string             `json:"tree,omitempty"`
	Extra                map[string]float64 `json:"extra,omitempty"`
	Sync                 []syncRow          `json:"sync,omitempty"`
}

// setLatency records the commit latency percentiles.
func (r *result) setLatency(lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	s := append([]time.Duration(nil), lat...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	r.Latency = [2]float64{ms(s[len(s)/2]), ms(s[(len(s)*99)/100])}
}

func main() {
	var (
		caseName = flag.String("case", "", "run one case in this process (used by the parent)")
		work     = flag.String("dir", "", "work directory (default: a new temporary directory, removed after)")
		commits  = flag.Int("commits", 10000, "commits in the trace")
		gogitN   = flag.Int("gogit-commits", 0, "commits of the trace go-git runs (0: same as -commits)")
		bigN     = flag.Int("bigdir", 1000000, "entries in the large directory")
		mergeN   = flag.Int("merge-keys", 1000000, "keys in the merged store")
		mergeK   = flag.Int("merge-changes", 1000, "changed keys per side in the merge")
		syncN    = flag.Int("sync-keys", 100000, "keys in the synced store")
		cpuProf  = flag.String("cpuprofile", "", "write each case's CPU profile to `prefix`-CASE.pprof")
		only     = flag.String("only", "", "comma-separated cases to run (default all): "+strings.Join(caseNames, ","))
	)
	flag.Parse()
	if *caseName != "" {
		if *cpuProf != "" {
			f, err := os.Create(*cpuProf + "-" + *caseName + ".pprof")
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
		if err := runCase(*caseName, *work, *commits, *gogitN, *bigN, *mergeN, *mergeK, *syncN); err != nil {
			fmt.Fprintf(os.Stderr, "case %s: %v\n", *caseName, err)
			pprof.StopCPUProfile()
			os.Exit(1)
		}
		return
	}
	if err := parent(*work, *only); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// caseNames lists the cases in the order they run: go-git, the slowest,
// last.
var caseNames = []string{"trace-store", "writes-store", "writes-fastimport", "bigdir", "merge", "sync", "trace-gogit"}

// runCase runs one case in dir and prints its result as JSON.
func runCase(name, dir string, commits, gogitN, bigN, mergeN, mergeK, syncN int) error {
	if gogitN <= 0 {
		gogitN = commits
	}
	repo := filepath.Join(dir, "repo")
	var res *result
	var err error
	switch name {
	case "trace-store":
		res, err = storeTrace(repo, commits, false)
	case "writes-store":
		res, err = storeTrace(repo, commits, true)
	case "trace-gogit":
		res, err = gogitTrace(repo, gogitN)
	case "writes-fastimport":
		res, err = fastImportTrace(repo, commits)
	case "bigdir":
		res, err = bigDir(repo, bigN)
	case "merge":
		res, err = bigMerge(repo, mergeN, mergeK, 5)
	case "sync":
		res, err = syncBench(dir, syncN, []int{1, 100, 10000})
	default:
		return fmt.Errorf("unknown case %q", name)
	}
	if err != nil {
		return err
	}
	res.Case = name
	res.Ops = [3]int{res.Adds, res.Finds, res.Removes}
	if res.RSSMB == 0 {
		res.RSSMB = procStatus("VmHWM:")
		res.AnonMB = procStatus("RssAnon:")
	}
	if res.CPUSeconds == 0 {
		var ru syscall.Rusage
		if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
			res.CPUSeconds = time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
		}
	}
	res.DiskMB = diskMB(dir)
	if strings.HasPrefix(name, "trace") || strings.HasPrefix(name, "writes") {
		if res.Tree, err = gitTree(repo); err != nil {
			return err
		}
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

// procStatus returns a memory field of /proc/self/status in MiB: VmHWM is
// the peak resident set, which counts the pages of mapped pack files the
// process touched; RssAnon is the resident anonymous memory (heap).
func procStatus(field string) float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}

// diskMB returns the disk space (allocated blocks) used under dir in MiB.
func diskMB(dir string) float64 {
	var total int64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if info, err := d.Info(); err == nil {
			if st, ok := info.Sys().(*syscall.Stat_t); ok {
				total += st.Blocks * 512
			}
		}
		return nil
	})
	return float64(total) / (1 << 20)
}

// gitTree asks stock git for main's tree, so the cases can be checked to
// have built the same data.
func gitTree(repo string) (string, error) {
	out, err := exec.Command("git", "--git-dir", repo, "rev-parse", "main^{tree}").Output()
	if err != nil {
		return "", fmt.Errorf("git rev-parse main^{tree} in %s: %w", repo, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// parent runs each case in a child process and prints the tables.
func parent(work, only string) error {
	names := caseNames
	if only != "" {
		names = strings.Split(only, ",")
	}
	keep := work != ""
	if !keep {
		d, err := os.MkdirTemp("", "gobi-store-bench-")
		if err != nil {
			return err
		}
		work = d
		defer os.RemoveAll(work)
	}
	results := map[string]*result{}
	for _, name := range names {
		dir := filepath.Join(work, name)
		os.RemoveAll(dir)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		args := append([]string{"-case", name, "-dir", dir}, passFlags()...)
		fmt.Fprintf(os.Stderr, "running %s...\n", name)
		cmd := exec.Command(os.Args[0], args...)
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("case %s: %w", name, err)
		}
		var r result
		if err := json.NewDecoder(bytes.NewReader(out)).Decode(&r); err != nil {
			return fmt.Errorf("case %s: %w", name, err)
		}
		results[name] = &r
		fmt.Fprintf(os.Stderr, "%s: %s", name, out) // the raw result, kept if a later case fails
		if !keep {
			os.RemoveAll(dir)
		}
	}
	printTables(results)
	return nil
}

// passFlags returns the flags given to the parent, for the children.
func passFlags() []string {
	var out []string
	flag.Visit(func(f *flag.Flag) {
		if f.Name != "only" && f.Name != "dir" && f.Name != "case" {
			out = append(out, "-"+f.Name+"="+f.Value.String())
		}
	})
	return out
}
