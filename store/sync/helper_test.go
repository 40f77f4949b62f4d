package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gobi-os/gobi/store"
)

// helperEnv makes the test binary act as one replica's process: the tests
// run each replica's operations in a process of its own, as users would.
const helperEnv = "GOBI_SYNC_TEST_HELPER"

func TestMain(m *testing.M) {
	if js := os.Getenv(helperEnv); js != "" {
		var args []string
		if err := json.Unmarshal([]byte(js), &args); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if err := runHelper(args); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runHelper runs one operation: OP DIR ARGS...
func runHelper(args []string) error {
	ctx := context.Background()
	op, dir, args := args[0], args[1], args[2:]
	opts := Options{Timeout: 20 * time.Second}
	if op == "clone" {
		st, _, err := Clone(ctx, args[0], dir, opts)
		if err == nil {
			st.Close()
		}
		return err
	}
	st, err := store.Open(dir, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	switch op {
	case "set":
		_, err = st.Set(ctx, "main", args[0], store.String(args[1]), store.CommitInfo{Message: "set " + args[0]})
	case "add":
		n, _ := strconv.ParseInt(args[1], 10, 64)
		_, err = st.Update(ctx, "main", store.CommitInfo{Message: "add " + args[0]}, func(t *store.Tree) error {
			v, err := t.Get(args[0])
			var cur int64
			if err == nil {
				if cur, err = store.ParseCounter(v); err != nil {
					return err
				}
			}
			return t.Set(args[0], store.Counter(cur+n))
		})
	case "push":
		_, err = Push(ctx, st, args[0], nil, opts)
	case "pull":
		var res *PullResult
		if res, err = Pull(ctx, st, args[0], "main", opts); err == nil {
			for _, c := range res.Conflicts {
				fmt.Println("conflict", c.Path)
			}
		}
	case "resolve":
		v := store.String(args[1])
		_, err = st.ResolveConflict(ctx, "main", args[0], &v, store.CommitInfo{})
	default:
		err = fmt.Errorf("unknown helper op %q", op)
	}
	return err
}

// replica runs helper operations on one directory in child processes.
type replica struct {
	t   *testing.T
	dir string
}

// run runs OP on the replica in a new process and returns its stdout.
func (r replica) run(op string, args ...string) string {
	r.t.Helper()
	js, _ := json.Marshal(append([]string{op, r.dir}, args...))
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+string(js))
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		r.t.Fatalf("%s %s: %v\n%s", op, strings.Join(args, " "), err, stderr)
	}
	return string(out)
}

// treeOf returns the tree hash of branch main in the repository at dir, as
// stock git sees it.
func treeOf(t *testing.T, dir string) string {
	t.Helper()
	return git(t, dir, "rev-parse", "main^{tree}")
}

// git runs stock git in dir and returns its trimmed output.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+t.TempDir(),
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// needGit skips tests that need the stock git CLI when it is missing.
func needGit(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed: apt-get install git")
	}
}

// gitServer serves the bare repositories under root with stock
// `git http-backend` (git-http-backend(1)) as CGI on 127.0.0.1, pushes
// enabled, and returns the base URL.
func gitServer(t *testing.T, root string) string {
	t.Helper()
	needGit(t)
	h := &cgi.Handler{
		Path: mustLookPath(t, "git"),
		Args: []string{"http-backend"},
		Env: []string{
			"GIT_PROJECT_ROOT=" + root,
			"GIT_HTTP_EXPORT_ALL=1",
			"REMOTE_USER=tester", // http-backend enables receive-pack for authenticated users
			"GIT_CONFIG_NOSYSTEM=1",
		},
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func mustLookPath(t *testing.T, name string) string {
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not installed", name)
	}
	return p
}

// bareRepo creates an empty bare repository with stock git under root.
func bareRepo(t *testing.T, root, name string) string {
	t.Helper()
	dir := filepath.Join(root, name)
	git(t, root, "init", "-q", "--bare", "-b", "main", dir)
	return dir
}
