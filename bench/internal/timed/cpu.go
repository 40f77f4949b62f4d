package timed

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of utime and stime in /proc/PID/stat: USER_HZ,
// 100 on every Linux architecture Go supports (proc(5)).
const clockTick = 10 * time.Millisecond

// TreeCPU returns the CPU time (user and system) that pid and every live
// descendant of it have used so far: for a `gobi run`, the launcher, QEMU
// with its device and network threads, or the sandboxed program.
func TreeCPU(pid int) (time.Duration, error) {
	type proc struct {
		ppid int
		cpu  time.Duration
	}
	procs := map[int]proc{}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // the process is gone
		}
		// "pid (comm) state ppid ... utime stime": comm may hold spaces,
		// so count fields after its closing parenthesis (state is the
		// first, ppid the second, utime the 12th, stime the 13th).
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 13 {
			continue
		}
		id, _ := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		ppid, _ := strconv.Atoi(f[1])
		utime, _ := strconv.ParseInt(f[11], 10, 64)
		stime, _ := strconv.ParseInt(f[12], 10, 64)
		procs[id] = proc{ppid: ppid, cpu: time.Duration(utime+stime) * clockTick}
	}
	if _, ok := procs[pid]; !ok {
		return 0, fmt.Errorf("process %d is not running", pid)
	}
	var total time.Duration
	for id, p := range procs {
		for a := id; a > 1; a = procs[a].ppid {
			if a == pid {
				total += p.cpu
				break
			}
			if _, ok := procs[a]; !ok {
				break
			}
		}
	}
	return total, nil
}
