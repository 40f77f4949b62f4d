package timed

import (
	"fmt"
	"strconv"
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
	for _, p := range processes() {
		if len(p.stat) < 13 {
			continue
		}
		ppid, _ := strconv.Atoi(p.stat[1])
		utime, _ := strconv.ParseInt(p.stat[11], 10, 64)
		stime, _ := strconv.ParseInt(p.stat[12], 10, 64)
		procs[p.pid] = proc{ppid: ppid, cpu: time.Duration(utime+stime) * clockTick}
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
