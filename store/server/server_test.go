package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gobi-os/gobi/store"
	"github.com/gobi-os/gobi/store/sync"
)

// serve starts a Server for a new store on 127.0.0.1 and returns both.
func serve(t *testing.T, opts Options) (*store.Store, string) {
	t.Helper()
	st, err := store.Init(filepath.Join(t.TempDir(), "store"), &store.Options{NoSync: true, PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := httptest.NewServer(New(st, opts))
	t.Cleanup(srv.Close)
	return st, srv.URL
}

// fill commits keys under a few directories, typed and plain.
func fill(t *testing.T, st *store.Store) {
	t.Helper()
	_, err := st.Update(context.Background(), "main", store.CommitInfo{Message: "fill"}, func(tr *store.Tree) error {
		for i := range 30 {
			if err := tr.Set(fmt.Sprintf("dir%d/sub/key%d", i%4, i), store.String(fmt.Sprint("value ", i))); err != nil {
				return err
			}
		}
		return tr.Set("hits", store.Counter(7))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// git runs stock git in dir and returns its trimmed output.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed: apt-get install git")
	}
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+t.TempDir(), "GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// looseObjects returns the number of loose objects in the repository at
// dir: git unpacks a received pack of under 100 objects (transfer.unpackLimit)
// into loose objects, so this counts what a small fetch received.
func looseObjects(t *testing.T, dir string) int {
	t.Helper()
	for _, line := range strings.Split(git(t, dir, "count-objects", "-v"), "\n") {
		if v, ok := strings.CutPrefix(line, "count: "); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("git count-objects printed no count")
	return 0
}

func treeHash(t *testing.T, st *store.Store) string {
	t.Helper()
	h, err := st.Head("main")
	if err != nil {
		t.Fatal(err)
	}
	c, err := st.ReadCommit(h)
	if err != nil {
		t.Fatal(err)
	}
	return c.Tree.String()
}

// TestGitCloneHTTPAndFile clones the store with stock git over HTTP from
// the server and over a file path, and checks that both give the store's
// tree, then pushes a commit made by stock git and fetches one made by the
// store.
func TestGitCloneHTTPAndFile(t *testing.T) {
	st, url := serve(t, Options{})
	fill(t, st)
	work := t.TempDir()
	git(t, work, "clone", "-q", url+"/", "http")
	git(t, work, "clone", "-q", st.Path(), "file")
	want := treeHash(t, st)
	for _, d := range []string{"http", "file"} {
		dir := filepath.Join(work, d)
		if got := git(t, dir, "rev-parse", "HEAD^{tree}"); got != want {
			t.Errorf("%s clone tree = %s, want the store's %s", d, got, want)
		}
		git(t, dir, "fsck", "--strict")
	}
	if b, err := os.ReadFile(filepath.Join(work, "http", "dir1", "sub", "key5")); err != nil || string(b) != "value 5" {
		t.Errorf("checked-out dir1/sub/key5 = %q, %v; want %q", b, err, "value 5")
	}

	// git push: a commit made with stock git lands on the store's branch.
	dir := filepath.Join(work, "http")
	os.WriteFile(filepath.Join(dir, "dir0", "from-git"), []byte("pushed"), 0o644)
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "from git")
	git(t, dir, "push", "-q", "origin", "main")
	if v, err := st.Get("main", "dir0/from-git"); err != nil || string(v.Data) != "pushed" {
		t.Fatalf("store Get(dir0/from-git) after git push = %q, %v; want pushed", v.Data, err)
	}

	// git pull: the client negotiates with haves; only the change travels.
	if _, err := st.Set(context.Background(), "main", "dir2/new", store.String("from store"), store.CommitInfo{}); err != nil {
		t.Fatal(err)
	}
	before := looseObjects(t, dir)
	git(t, dir, "pull", "-q", "--ff-only", "origin", "main")
	if got := looseObjects(t, dir) - before; got != 4 { // commit, root tree, dir2, blob
		t.Errorf("git pull of one change received %d objects, want 4", got)
	}
	if got, want := git(t, dir, "rev-parse", "HEAD^{tree}"), treeHash(t, st); got != want {
		t.Errorf("tree after git pull = %s, want %s", got, want)
	}
	git(t, st.Path(), "fsck", "--strict")

	// An annotated tag pushed by git is served to the next clone.
	git(t, dir, "tag", "-a", "-m", "release", "v1")
	git(t, dir, "push", "-q", "origin", "v1")
	git(t, work, "clone", "-q", url+"/", "tagged")
	if got, want := git(t, filepath.Join(work, "tagged"), "rev-parse", "v1^{commit}"), git(t, dir, "rev-parse", "HEAD"); got != want {
		t.Errorf("tag v1 in a new clone names %s, want %s", got, want)
	}
}

// TestSyncWithServer runs the store's own sync against the server.
func TestSyncWithServer(t *testing.T) {
	st, url := serve(t, Options{})
	fill(t, st)
	ctx := context.Background()
	c, _, err := sync.Clone(ctx, url, filepath.Join(t.TempDir(), "c"), sync.Options{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Set(ctx, "main", "dir3/x", store.String("y"), store.CommitInfo{}); err != nil {
		t.Fatal(err)
	}
	res, err := sync.Push(ctx, c, "", nil, sync.Options{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Objects != 4 { // commit, root tree, dir3, blob
		t.Errorf("push of one change sent %d objects, want 4", res.Objects)
	}
	if got, want := treeHash(t, st), treeHash(t, c); got != want {
		t.Fatalf("server tree %s after push, want %s", got, want)
	}
	if _, err := st.Set(ctx, "main", "dir1/z", store.String("w"), store.CommitInfo{}); err != nil {
		t.Fatal(err)
	}
	fres, err := sync.Fetch(ctx, c, "", sync.Options{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if fres.Objects != 4 { // commit, root tree, dir1, blob
		t.Errorf("fetch of one change received %d objects, want 4", fres.Objects)
	}
}

// call makes a JSON API request and decodes the answer into out.
func call(t *testing.T, method, url string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q, want application/json", method, url, ct)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: decoding answer: %v", method, url, err)
		}
	}
	return resp.StatusCode
}

func TestJSONAPI(t *testing.T) {
	_, url := serve(t, Options{MaxRequestBytes: 1 << 10})
	api := url + "/api/v1/"
	var commit struct{ Commit string }
	if code := call(t, "POST", api+"set", map[string]any{"key": "a/b", "text": "hello", "message": "first"}, &commit); code != 200 || len(commit.Commit) != 40 {
		t.Fatalf("set = %d %+v", code, commit)
	}
	call(t, "POST", api+"set", map[string]any{"key": "n", "type": "counter", "text": "5"}, nil)
	var got jsonValue
	if code := call(t, "GET", api+"get?key=a/b", nil, &got); code != 200 || got.Text == nil || *got.Text != "hello" || got.Type != "bytes" {
		t.Fatalf("get a/b = %d %+v", code, got)
	}
	var e apiError
	if code := call(t, "GET", api+"get?key=nope", nil, &e); code != 404 || e.Error == "" {
		t.Errorf("get of a missing key = %d %+v, want 404 with an error", code, e)
	}
	if code := call(t, "POST", api+"set", map[string]any{"key": "x", "txet": "typo"}, &e); code != 400 || !strings.Contains(e.Error, "txet") {
		t.Errorf("set with an unknown field = %d %+v, want 400 naming it", code, e)
	}
	if code := call(t, "POST", api+"set", map[string]any{"key": "x", "text": strings.Repeat("z", 2000)}, &e); code != 413 {
		t.Errorf("oversized set = %d %+v, want 413", code, e)
	}
	var list struct{ Entries []entryJSON }
	call(t, "GET", api+"list?dir=", nil, &list)
	if len(list.Entries) != 2 || list.Entries[0] != (entryJSON{"a", true}) || list.Entries[1] != (entryJSON{"n", false}) {
		t.Errorf("list = %+v", list.Entries)
	}
	var tree struct {
		Values    []jsonValue
		Truncated bool
	}
	call(t, "GET", api+"tree?limit=1", nil, &tree)
	if len(tree.Values) != 1 || !tree.Truncated || tree.Values[0].Key != "a/b" {
		t.Errorf("tree?limit=1 = %+v", tree)
	}

	// Branch, diverge, merge with a conflict, list it, resolve it.
	if code := call(t, "POST", api+"branches", map[string]any{"name": "dev", "from": "main"}, nil); code != 201 {
		t.Fatalf("creating branch dev = %d, want 201", code)
	}
	call(t, "POST", api+"set", map[string]any{"branch": "dev", "key": "a/b", "text": "dev"}, &e)
	var branches struct{ Branches []branchJSON }
	call(t, "GET", api+"branches", nil, &branches)
	if len(branches.Branches) != 2 {
		t.Fatalf("branches = %+v, want main and dev", branches)
	}
	call(t, "POST", api+"set", map[string]any{"key": "a/b", "text": "main"}, nil)
	var merged struct {
		Commit    string
		Conflicts []conflictJSON
	}
	if code := call(t, "POST", api+"merge", map[string]any{"into": "main", "from": "dev"}, &merged); code != 200 || len(merged.Conflicts) != 1 {
		t.Fatalf("merge = %d %+v, want one conflict", code, merged)
	}
	c := merged.Conflicts[0]
	if c.Path != "a/b" || *c.Ours.Text != "main" || *c.Theirs.Text != "dev" || *c.Base.Text != "hello" {
		t.Errorf("conflict = %+v", c)
	}
	var pending struct{ Conflicts []conflictJSON }
	call(t, "GET", api+"conflicts", nil, &pending)
	if len(pending.Conflicts) != 1 {
		t.Fatalf("conflicts = %+v", pending)
	}
	if code := call(t, "POST", api+"resolve", map[string]any{"path": "a/b", "text": "both"}, &commit); code != 200 {
		t.Fatalf("resolve = %d", code)
	}
	call(t, "GET", api+"conflicts", nil, &pending)
	call(t, "GET", api+"get?key=a/b", nil, &got)
	if len(pending.Conflicts) != 0 || *got.Text != "both" {
		t.Errorf("after resolve: conflicts %+v, a/b %q", pending.Conflicts, *got.Text)
	}
	var log struct{ Commits []commitJSON }
	call(t, "GET", api+"log?limit=3", nil, &log)
	if len(log.Commits) != 3 || log.Commits[0].Hash != commit.Commit {
		t.Errorf("log = %+v, want 3 commits starting at %s", log.Commits, commit.Commit)
	}
	if code := call(t, "POST", api+"remove", map[string]any{"key": "n"}, nil); code != 200 {
		t.Errorf("remove = %d", code)
	}
	if code := call(t, "GET", api+"get?key=n", nil, nil); code != 404 {
		t.Errorf("get after remove = %d, want 404", code)
	}
}

// TestWatchStream reads the SSE stream while another store handle on the
// same directory — as another process would — and the API commit changes.
func TestWatchStream(t *testing.T) {
	st, url := serve(t, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/api/v1/watch?branch=main&prefix=w", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Scan() // ": watching": the watch is registered

	other, err := store.Open(st.Path(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.Set(ctx, "main", "unwatched", store.String("1"), store.CommitInfo{}); err != nil {
		t.Fatal(err)
	}
	h, err := other.Set(ctx, "main", "w/x", store.String("1"), store.CommitInfo{})
	if err != nil {
		t.Fatal(err)
	}
	if event, ev := nextEvent(t, sc); event != "change" || ev != (changeEvent{Branch: "main", Path: "w/x", Commit: h.String()}) {
		t.Fatalf("event %q %+v, want change on w/x at %s", event, ev, h)
	}

	// Another process: stock git pushes to the directory (its
	// git-receive-pack writes the repository), not through the server.
	work := t.TempDir()
	git(t, work, "clone", "-q", st.Path(), "c")
	dir := filepath.Join(work, "c")
	os.WriteFile(filepath.Join(dir, "w", "y"), []byte("from git"), 0o644)
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "y")
	git(t, dir, "push", "-q", "origin", "main")
	head := git(t, dir, "rev-parse", "HEAD")
	if event, ev := nextEvent(t, sc); event != "change" || ev != (changeEvent{Branch: "main", Path: "w/y", Commit: head}) {
		t.Fatalf("event %q %+v, want change on w/y at %s", event, ev, head)
	}
}

// nextEvent reads the next event from an SSE stream.
func nextEvent(t *testing.T, sc *bufio.Scanner) (string, changeEvent) {
	t.Helper()
	var event string
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "event: "); ok {
			event = v
		}
		if v, ok := strings.CutPrefix(line, "data: "); ok {
			var ev changeEvent
			if err := json.Unmarshal([]byte(v), &ev); err != nil {
				t.Fatalf("event data %q: %v", v, err)
			}
			return event, ev
		}
	}
	t.Fatalf("watch stream ended: %v", sc.Err())
	return "", changeEvent{}
}
