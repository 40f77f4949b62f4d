package timed

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// GuestTouched returns how many bytes of guest RAM the guest has touched:
// the resident size of QEMU's guest-RAM mapping, read from
// /proc/PID/smaps (proc(5)). QEMU maps guest RAM as one private anonymous
// read-write mapping of exactly the -m size and the host kernel backs a page
// only when it is first used, so this counts the pages the guest kernel and
// program have used (including the image QEMU copied in), the same way for
// any guest. ramBytes is the -m size; the TCG translation buffer is the only
// other large anonymous mapping, and it is executable.
//
// pid is QEMU's process or QEMU's parent (gobi run, or this process when it
// runs QEMU through gobi's internal/vm).
func GuestTouched(pid int, ramBytes int64) (int64, error) {
	qpid, err := findQEMU(pid)
	if err != nil {
		return 0, err
	}
	return qemuTouched(qpid, ramBytes)
}

// qemuTouched reads the guest RAM touched from QEMU's smaps.
func qemuTouched(qpid int, ramBytes int64) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/smaps", qpid))
	if err != nil {
		return 0, fmt.Errorf("reading guest memory: %w", err)
	}
	defer f.Close()
	return touched(f, ramBytes)
}

// touched parses smaps and returns the Rss of the guest-RAM mapping.
func touched(smaps io.Reader, ramBytes int64) (int64, error) {
	sc := bufio.NewScanner(smaps)
	guestRAM := false
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) >= 5 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":"):
			// A mapping header: "start-end perms offset dev inode [path]".
			lo, hi, ok := strings.Cut(f[0], "-")
			start, err1 := strconv.ParseUint(lo, 16, 64)
			end, err2 := strconv.ParseUint(hi, 16, 64)
			guestRAM = ok && err1 == nil && err2 == nil && f[1] == "rw-p" && len(f) == 5 &&
				int64(end-start) == ramBytes
		case guestRAM && len(f) == 3 && f[0] == "Rss:" && f[2] == "kB":
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("bad smaps line %q", sc.Text())
			}
			return kb << 10, nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no %d-byte anonymous mapping (guest RAM) in QEMU's smaps", ramBytes)
}

// findQEMU returns pid if it is QEMU, else a QEMU child of pid.
func findQEMU(pid int) (int, error) {
	if isQEMU(pid) {
		return pid, nil
	}
	for _, p := range processes() {
		if len(p.stat) >= 2 && p.stat[1] == strconv.Itoa(pid) && isQEMU(p.pid) {
			return p.pid, nil
		}
	}
	return 0, fmt.Errorf("no QEMU process among the children of %d", pid)
}

// process is one process and its /proc/PID/stat fields after the command
// name: state first, then ppid, and utime and stime 12th and 13th (proc(5)).
type process struct {
	pid  int
	stat []string
}

// processes lists the running processes.
func processes() []process {
	var ps []process
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // the process is gone
		}
		// "pid (comm) state ppid ...": comm may hold spaces, so split
		// after its closing parenthesis.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		ps = append(ps, process{pid: pid, stat: strings.Fields(string(b[i+1:]))})
	}
	return ps
}

// isQEMU reports whether pid runs a qemu-system emulator.
func isQEMU(pid int) bool {
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return err == nil && strings.HasPrefix(string(comm), "qemu-system")
}

// sampleEvery is how often PeakTouched looks at guest memory: often enough
// for a boot that lasts tens of milliseconds, cheap enough (one smaps read)
// not to slow the guest.
const sampleEvery = 10 * time.Millisecond

// PeakTouched samples the guest RAM that QEMU (pid, or a QEMU child of pid)
// has touched until done is closed, and then delivers the largest value
// seen (0 if none).
func PeakTouched(pid int, ramBytes int64, done <-chan struct{}) <-chan int64 {
	peak := make(chan int64, 1)
	go func() {
		var max int64
		qpid := 0 // found once: scanning /proc on every tick would cost the guest CPU time
		t := time.NewTicker(sampleEvery)
		defer t.Stop()
		for {
			if qpid == 0 {
				qpid, _ = findQEMU(pid)
			}
			if qpid != 0 {
				if n, err := qemuTouched(qpid, ramBytes); err == nil && n > max {
					max = n
				}
			}
			select {
			case <-done:
				peak <- max
				return
			case <-t.C:
			}
		}
	}()
	return peak
}
