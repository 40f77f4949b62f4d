package store

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// git runs the stock git CLI in repository dir and returns its output.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"--git-dir", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@x", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@x")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func requireGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed: apt-get install git")
	}
}

// fsck runs git fsck --strict and fails on any error or warning.
func fsck(t *testing.T, dir string) {
	t.Helper()
	out := git(t, dir, "fsck", "--strict", "--no-dangling")
	if strings.Contains(out, "error") || strings.Contains(out, "warning") {
		t.Fatalf("git fsck --strict:\n%s", out)
	}
}

// commitCount counts the commits reachable from all branches.
func commitCount(t *testing.T, s *Store) int {
	seen := map[Hash]bool{}
	bs, err := s.Branches()
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bs {
		h, _ := s.Head(b)
		for c, err := range s.Log(h) {
			if err != nil {
				t.Fatal(err)
			}
			seen[c.Hash] = true
		}
	}
	return len(seen)
}

// TestGitInterop runs a scripted workload and checks stock git agrees:
// fsck, commit count, raw values, a commit made by git merged by the
// store, and everything still readable after git gc packs and deltifies.
func TestGitInterop(t *testing.T) {
	requireGit(t)
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Init(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range 20 {
		_, err := s.Update(ctx, "main", CommitInfo{Message: fmt.Sprintf("commit %d", i)}, func(t *Tree) error {
			n := 1 + i%3*10 // some commits small (loose objects), some packed
			for j := range n {
				if err := t.Set(fmt.Sprintf("d%d/k%d", j%4, j+i), String(fmt.Sprint(i, j))); err != nil {
					return err
				}
			}
			return t.Set("count", Counter(int64(i)))
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	h, _ := s.Head("main")
	s.CreateBranch("dev", h)
	s.Set(ctx, "dev", "a/b/c", String("raw bytes\x00\xff"), CommitInfo{})
	s.Set(ctx, "main", "x", String("y"), CommitInfo{})
	if _, err := s.Merge(ctx, "main", "dev", CommitInfo{}); err != nil {
		t.Fatal(err)
	}
	fsck(t, dir)
	if got := git(t, dir, "show", "main:a/b/c"); got != "raw bytes\x00\xff" {
		t.Errorf("git show main:a/b/c = %q", got)
	}
	n, _ := strconv.Atoi(strings.TrimSpace(git(t, dir, "rev-list", "--all", "--count")))
	if want := commitCount(t, s); n != want {
		t.Errorf("git rev-list --all --count = %d, store has %d commits", n, want)
	}
	if ls := git(t, dir, "ls-tree", "-r", "--name-only", "main"); !strings.Contains(ls, "d3/k22\n") {
		t.Errorf("git ls-tree misses d3/k22:\n%s", ls)
	}

	// A commit made by stock git on its own branch, merged by the store.
	wt := t.TempDir()
	run := func(args ...string) {
		git(t, dir, append([]string{"--work-tree", wt}, args...)...)
	}
	run("read-tree", "main")
	os.MkdirAll(filepath.Join(wt, "fromgit"), 0o755)
	os.WriteFile(filepath.Join(wt, "fromgit", "file"), []byte("made by git\n"), 0o644)
	run("add", "fromgit/file")
	tree := strings.TrimSpace(git(t, dir, "--work-tree", wt, "write-tree"))
	head := strings.TrimSpace(git(t, dir, "rev-parse", "main"))
	gc := strings.TrimSpace(git(t, dir, "commit-tree", tree, "-p", head, "-m", "from git"))
	git(t, dir, "update-ref", "refs/heads/gitside", gc)
	s.Set(ctx, "main", "x", String("z"), CommitInfo{})
	res, err := s.Merge(ctx, "main", "gitside", CommitInfo{})
	if err != nil || len(res.Conflicts) != 0 || res.FastForward {
		t.Fatalf("merging git's commit: %+v, %v", res, err)
	}
	if v, err := s.Get("main", "fromgit/file"); err != nil || string(v.Data) != "made by git\n" {
		t.Errorf("Get(fromgit/file) after merge = %q, %v", v.Data, err)
	}
	fsck(t, dir)

	// git gc packs everything with deltas and packs the refs; the store
	// must read the same trees and keep writing.
	before, _ := s.Snapshot("main")
	bh, _ := before.Hash()
	git(t, dir, "gc", "--aggressive", "--prune=now", "-q")
	if _, err := os.Stat(filepath.Join(dir, "packed-refs")); err != nil {
		t.Fatalf("git gc wrote no packed-refs: %v", err)
	}
	s2, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	after, err := s2.Snapshot("main")
	if err != nil {
		t.Fatal(err)
	}
	var keys int
	if err := after.Walk("", func(string, Value) error { keys++; return nil }); err != nil {
		t.Fatalf("walking after git gc: %v", err)
	}
	if ah, _ := after.Hash(); ah != bh || keys < 50 {
		t.Errorf("after gc: tree %s with %d keys, want %s", ah, keys, bh)
	}
	if _, err := s2.Set(ctx, "main", "after-gc", String("1"), CommitInfo{}); err != nil {
		t.Fatal(err)
	}
	if err := s2.DeleteBranch("dev"); err != nil {
		t.Fatalf("deleting a packed branch: %v", err)
	}
	if out := git(t, dir, "branch", "--list", "dev"); out != "" {
		t.Errorf("git still lists dev: %q", out)
	}
	fsck(t, dir)

	// A plain git clone sees the same tree.
	clone := filepath.Join(t.TempDir(), "clone.git")
	if out, err := exec.Command("git", "clone", "-q", "--bare", dir, clone).CombinedOutput(); err != nil {
		t.Fatalf("git clone: %v\n%s", err, out)
	}
	cs, err := Open(clone, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	ct, _ := cs.Snapshot("main")
	st, _ := s2.Snapshot("main")
	if a, b := mustHash(t, ct), mustHash(t, st); a != b {
		t.Errorf("clone tree %s, store tree %s", a, b)
	}
}

func mustHash(t *testing.T, tr *Tree) Hash {
	h, err := tr.Hash()
	if err != nil {
		t.Fatal(err)
	}
	return h
}
