package store

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The multi-process tests re-execute the test binary as helper processes;
// TestMain dispatches on GOBI_STORE_HELPER.
func TestMain(m *testing.M) {
	if h := os.Getenv("GOBI_STORE_HELPER"); h != "" {
		if err := runHelper(h, os.Getenv("GOBI_STORE_DIR"), os.Getenv("GOBI_STORE_ARG")); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func runHelper(kind, dir, arg string) error {
	// Durability across power loss (fsync) plays no part in what these
	// tests check: a killed process loses no written data, and lost
	// updates come from races, not from caches. NoSync keeps them fast.
	s, err := Open(dir, &Options{NoSync: true})
	if err != nil {
		return err
	}
	defer s.Close()
	ctx := context.Background()
	switch kind {
	case "writer":
		// Commits alternate between the writer's own branch and the shared
		// one: n commits in all.
		id, n, _ := strings.Cut(arg, ":")
		count, _ := strconv.Atoi(n)
		for i := range count {
			branch, key := "w"+id, fmt.Sprintf("w%s/k%d", id, i)
			if i%2 == 1 {
				branch, key = "shared", fmt.Sprintf("w%s/k%d", id, i)
			}
			if _, err := s.Set(ctx, branch, key, String(key), CommitInfo{Message: key}); err != nil {
				return err
			}
		}
	case "crasher":
		// Commit until killed, some commits large enough to write packs.
		// The line on stdout tells the test the writer is running, so
		// a slow start on a loaded machine cannot eat the kill's delay.
		fmt.Println("committing")
		for i := 0; ; i++ {
			_, err := s.Update(ctx, "main", CommitInfo{}, func(t *Tree) error {
				for j := range 1 + (i%4)*20 {
					if err := t.Set(fmt.Sprintf("d%d/k%d", j%5, i*100+j), String(strings.Repeat("v", j))); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
	case "set":
		for kv := range strings.SplitSeq(arg, ",") {
			k, v, _ := strings.Cut(kv, "=")
			if _, err := s.Set(ctx, "main", k, String(v), CommitInfo{}); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("unknown helper %q", kind)
	}
	return nil
}

func helper(t *testing.T, kind, dir, arg string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GOBI_STORE_HELPER="+kind, "GOBI_STORE_DIR="+dir, "GOBI_STORE_ARG="+arg)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// TestConcurrentWriters runs 8 writer processes of 1,000 commits each on
// their own branches and one shared branch: no update may be lost.
func TestConcurrentWriters(t *testing.T) {
	requireGit(t)
	const writers, commits = 8, 1000
	if testing.Short() {
		t.Skip("8 processes × 1,000 commits; skipped with -short")
	}
	dir := t.TempDir()
	s, err := Init(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		cmd := helper(t, "writer", dir, fmt.Sprintf("%d:%d", w, commits))
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := cmd.Wait(); err != nil {
				errs <- fmt.Errorf("writer %d: %v", w, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	count := func(branch string) int {
		tr, err := s.Snapshot(branch)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		if err := tr.Walk("", func(string, Value) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for w := range writers {
		if n := count(fmt.Sprintf("w%d", w)); n != commits/2 {
			t.Errorf("branch w%d holds %d keys, want %d", w, n, commits/2)
		}
	}
	if n := count("shared"); n != writers*commits/2 {
		t.Errorf("branch shared holds %d keys, want %d: updates lost", n, writers*commits/2)
	}
	fsck(t, dir)
	n, _ := strconv.Atoi(strings.TrimSpace(git(t, dir, "rev-list", "--all", "--count")))
	if n != writers*commits || commitCount(t, s) != n {
		t.Errorf("git counts %d commits, store %d; want %d", n, commitCount(t, s), writers*commits)
	}
}

// TestKilledWriter kills a writer with SIGKILL at a random moment, 100
// times: every time git fsck is clean and main is a complete commit that
// the store reads whole.
func TestKilledWriter(t *testing.T) {
	requireGit(t)
	trials := 100
	if testing.Short() {
		trials = 10
	}
	dir := t.TempDir()
	s, err := Init(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	for trial := range trials {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "GOBI_STORE_HELPER=crasher", "GOBI_STORE_DIR="+dir, "GOBI_STORE_ARG=")
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if _, err := bufio.NewReader(out).ReadString('\n'); err != nil {
			t.Fatalf("trial %d: the writer did not start: %v", trial, err)
		}
		time.Sleep(time.Duration(5+rand.IntN(40)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		fsck(t, dir)
		s, err := Open(dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Head("main"); err == nil {
			tr, err := s.Snapshot("main")
			if err != nil {
				t.Fatalf("trial %d: %v", trial, err)
			}
			if err := tr.Walk("", func(string, Value) error { return nil }); err != nil {
				t.Fatalf("trial %d: main is not a complete commit: %v", trial, err)
			}
		}
		s.Close()
	}
	// The kills must have landed during commits, not only before the
	// first: the writer made progress, and some kills left temporaries.
	s, err = Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	head, err := s.Head("main")
	if err != nil {
		t.Fatalf("no commit in %d trials: %v", trials, err)
	}
	n := 0
	for _, err := range s.Log(head) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	tmps, _ := filepath.Glob(filepath.Join(dir, "objects", "*", "tmp_*"))
	more, _ := filepath.Glob(filepath.Join(dir, "objects", "tmp_*"))
	t.Logf("%d trials: %d commits, %d temporaries left by kills mid-write", trials, n, len(tmps)+len(more))
	if n < trials/4 {
		t.Errorf("only %d commits in %d trials: the writer rarely ran before being killed", n, trials)
	}
}

// TestWatchOtherProcess checks that watches see commits made by another
// process, filtered by key prefix.
func TestWatchOtherProcess(t *testing.T) {
	dir := t.TempDir()
	s, err := Init(dir, &Options{PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	keyCh, err := s.Watch(ctx, "main", "w/x")
	if err != nil {
		t.Fatal(err)
	}
	allCh, err := s.Watch(ctx, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := helper(t, "set", dir, "other=1,w/x=2,w/y=3").Wait(); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-keyCh:
		if ev.Path != "w/x" || ev.Branch != "main" || ev.Commit.IsZero() {
			t.Errorf("key watch event = %+v, want w/x on main", ev)
		}
	case <-ctx.Done():
		t.Fatal("key watch saw nothing from the other process")
	}
	seen := map[string]bool{}
	for len(seen) < 3 {
		select {
		case ev := <-allCh:
			seen[ev.Path] = true
		case <-ctx.Done():
			t.Fatalf("all-keys watch saw only %v", seen)
		}
	}
	select {
	case ev := <-keyCh:
		t.Errorf("key watch on w/x fired for %+v", ev)
	case <-time.After(100 * time.Millisecond):
	}
}
