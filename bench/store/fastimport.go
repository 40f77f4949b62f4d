package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// fastImportTrace feeds the trace's writes to stock `git fast-import`
// (git-fast-import(1)) in a new bare repository: the git CLI's fastest
// write path. It cannot read, so finds are skipped and per-commit latency
// is not observable; the time runs until fast-import has written its pack.
func fastImportTrace(dir string, commits int) (*result, error) {
	if out, err := exec.Command("git", "init", "-q", "--bare", "-b", "main", dir).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("git init: %v: %s", err, out)
	}
	cmd := exec.Command("git", "fast-import", "--quiet", "--done")
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	tr := newTrace(1)
	res := &result{}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("git fast-import: %w (apt-get install git)", err)
	}
	w := bufio.NewWriterSize(in, 1<<20)
	now := time.Now().Unix()
	for i := range commits {
		msg := fmt.Sprintf("commit %d\n", i)
		fmt.Fprintf(w, "commit refs/heads/main\ncommitter gobi <gobi@localhost> %d +0000\ndata %d\n%s", now, len(msg), msg)
		for _, o := range tr.nextCommit() {
			switch o.kind {
			case opAdd:
				fmt.Fprintf(w, "M 100644 inline %s\ndata %d\n", o.key, len(o.val))
				w.Write(o.val)
				w.WriteByte('\n')
				res.Adds++
			case opRemove:
				fmt.Fprintf(w, "D %s\n", o.key)
				res.Removes++
			}
		}
		w.WriteByte('\n')
	}
	fmt.Fprintf(w, "done\n")
	if err := w.Flush(); err != nil {
		return nil, err
	}
	in.Close()
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("git fast-import: %w", err)
	}
	res.Seconds = time.Since(start).Seconds()
	res.Commits = commits
	// The memory and CPU that count are git's, not this feeder's.
	res.CPUSeconds = (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		res.RSSMB = float64(ru.Maxrss) / 1024
	}
	return res, nil
}
