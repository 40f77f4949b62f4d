// Command guestprof is a sampling profiler for a Gobi guest under QEMU. It
// stops the guest through QEMU's gdbstub at a fixed interval, walks the
// frame-pointer chain from the stopped instruction (Go keeps frame pointers
// on amd64), and prints where the guest's time goes, by function: flat (the
// function running) and cumulative (on the stack). It needs no change to
// the guest, and sees the kernel, the runtime and the program alike; the
// time QEMU spends emulating a device access shows at the instruction that
// made it.
//
//	gobi run -gdb 1234 -p 8080:8080 IMAGE &   # the guest waits for the debugger
//	go run ./bench/guestprof -wait 3s -d 10s IMAGE
//	# load the guest meanwhile, e.g. wrk -c8 -d15s http://127.0.0.1:8080/
//
// A sample in the kernel's trap code shows the kernel's stack only: a trap
// frame does not link to the interrupted program's frames. Samples at
// idleLoop are the guest waiting for an interrupt. Each sample stops the
// guest for a few gdbstub round trips, so a profiled guest runs slower;
// the shares are the point.
package main

import (
	"debug/elf"
	"debug/gosym"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"time"
)

func main() {
	addr := flag.String("gdb", "127.0.0.1:1234", "address of QEMU's gdbstub (gobi run -gdb PORT)")
	wait := flag.Duration("wait", 3*time.Second, "how long the guest runs before sampling starts")
	dur := flag.Duration("d", 10*time.Second, "how long to sample")
	every := flag.Duration("every", 4*time.Millisecond, "pause between samples")
	top := flag.Int("top", 40, "functions listed per table")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: guestprof [-gdb ADDR] [-wait DUR] [-d DUR] [-every DUR] [-top N] IMAGE")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *addr, *wait, *dur, *every, *top, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "guestprof:", err)
		os.Exit(1)
	}
}

func run(image, addr string, wait, dur, every time.Duration, top int, out io.Writer) error {
	syms, err := openSymbols(image)
	if err != nil {
		return err
	}
	s, err := dial(addr)
	if err != nil {
		return err
	}
	defer s.c.Close()
	if err := s.cont(); err != nil {
		return err
	}
	time.Sleep(wait)
	var stacks [][]uint64
	for end := time.Now().Add(dur); time.Now().Before(end); {
		pcs, err := s.sample()
		if err != nil {
			return fmt.Errorf("sampling: %w", err)
		}
		stacks = append(stacks, pcs)
		time.Sleep(every)
	}
	flat, cum := profile(stacks, syms.funcName)
	fmt.Fprintf(out, "%d samples over %v of %s\n", len(stacks), dur, image)
	printTable(out, "flat (running)", flat, len(stacks), top)
	printTable(out, "cumulative (on the stack)", cum, len(stacks), top)
	return nil
}

// symbols names program counters from an image's Go line table.
type symbols struct{ tab *gosym.Table }

func openSymbols(image string) (*symbols, error) {
	f, err := elf.Open(image)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	pcln, text := f.Section(".gopclntab"), f.Section(".text")
	if pcln == nil || text == nil {
		return nil, fmt.Errorf("%s: no Go line table (.gopclntab): not a Go image, or stripped", image)
	}
	data, err := pcln.Data()
	if err != nil {
		return nil, err
	}
	tab, err := gosym.NewTable(nil, gosym.NewLineTable(data, text.Addr))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", image, err)
	}
	return &symbols{tab: tab}, nil
}

// funcName names the function holding pc, or gives pc in hex.
func (s *symbols) funcName(pc uint64) string {
	if fn := s.tab.PCToFunc(pc); fn != nil {
		return fn.Name
	}
	return fmt.Sprintf("%#x", pc)
}

// profile counts samples by function: flat by the running function (the
// first pc), cumulative by every function on the stack, once per sample
// however often it recurs. Return addresses (every pc but the first) are
// looked up one byte back, inside the call instruction, so that a call at
// the end of a function is not charged to the next one.
func profile(stacks [][]uint64, name func(uint64) string) (flat, cum map[string]int) {
	flat, cum = map[string]int{}, map[string]int{}
	for _, pcs := range stacks {
		if len(pcs) == 0 {
			continue
		}
		seen := map[string]bool{}
		for i, pc := range pcs {
			if i > 0 {
				pc--
			}
			f := name(pc)
			if i == 0 {
				flat[f]++
			}
			if !seen[f] {
				seen[f] = true
				cum[f]++
			}
		}
	}
	return flat, cum
}

func printTable(out io.Writer, title string, counts map[string]int, total, top int) {
	type row struct {
		name string
		n    int
	}
	rows := make([]row, 0, len(counts))
	for k, v := range counts {
		rows = append(rows, row{k, v})
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].n != rows[j].n {
			return rows[i].n > rows[j].n
		}
		return rows[i].name < rows[j].name
	})
	fmt.Fprintf(out, "\n%s\n", title)
	for i, r := range rows {
		if i == top {
			break
		}
		fmt.Fprintf(out, "%6.1f%%  %s\n", 100*float64(r.n)/float64(max(total, 1)), r.name)
	}
}
