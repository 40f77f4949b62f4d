package sync

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/gobi-os/gobi/store"
)

// TestReplicasConverge runs two replicas in separate processes and
// directories that diverge offline and sync through stock git
// http-backend: they merge typed values, converge to one tree, and a
// conflict committed on one replica is resolved on the other.
func TestReplicasConverge(t *testing.T) {
	root := t.TempDir()
	url := gitServer(t, root) + "/up.git"
	up := bareRepo(t, root, "up.git")

	a := replica{t, filepath.Join(root, "a")}
	b := replica{t, filepath.Join(root, "b")}
	if st, err := store.Init(a.dir, nil); err != nil {
		t.Fatal(err)
	} else {
		st.Close()
	}
	a.run("set", "doc", "v0")
	a.run("add", "hits", "1")
	a.run("push", url)
	b.run("clone", url)

	// Diverge offline: both bump the counter, each sets its own key.
	a.run("add", "hits", "10")
	a.run("set", "from/a", "1")
	b.run("add", "hits", "100")
	b.run("set", "from/b", "2")
	a.run("push", url)
	if out := b.run("pull", url); strings.Contains(out, "conflict") {
		t.Fatalf("pull reported conflicts on disjoint changes:\n%s", out)
	}
	b.run("push", url)
	a.run("pull", url)
	if ta, tb, tu := treeOf(t, a.dir), treeOf(t, b.dir), treeOf(t, up); ta != tb || tb != tu {
		t.Fatalf("trees after sync: a %s, b %s, server %s; want equal", ta, tb, tu)
	}
	checkValue(t, a.dir, "hits", store.Counter(111))
	checkValue(t, b.dir, "from/a", store.String("1"))

	// A conflict: both replicas change doc differently.
	a.run("set", "doc", "by a")
	b.run("set", "doc", "by b")
	a.run("push", url)
	if out := b.run("pull", url); !strings.Contains(out, "conflict doc") {
		t.Fatalf("pull output %q, want a conflict on doc", out)
	}
	b.run("push", url) // the pending-conflict record travels as data
	a.run("pull", url)
	if cs := conflicts(t, a.dir); len(cs) != 1 || cs[0].Path != "doc" {
		t.Fatalf("conflicts on a after pull = %+v, want one on doc", cs)
	}
	a.run("resolve", "doc", "merged")
	a.run("push", url)
	b.run("pull", url)
	if cs := conflicts(t, b.dir); len(cs) != 0 {
		t.Fatalf("conflicts on b after resolution = %+v, want none", cs)
	}
	checkValue(t, b.dir, "doc", store.String("merged"))
	if ta, tb := treeOf(t, a.dir), treeOf(t, b.dir); ta != tb {
		t.Fatalf("trees after resolution: a %s, b %s; want equal", ta, tb)
	}
	git(t, up, "fsck", "--strict")
	git(t, a.dir, "fsck", "--strict")
	git(t, b.dir, "fsck", "--strict")
}

func checkValue(t *testing.T, dir, key string, want store.Value) {
	t.Helper()
	st, err := store.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := st.Get("main", key)
	if err != nil || !got.Equal(want) {
		t.Fatalf("Get(main, %q) in %s = %q %q, %v; want %q %q", key, dir, got.Type, got.Data, err, want.Type, want.Data)
	}
}

func conflicts(t *testing.T, dir string) []store.Conflict {
	t.Helper()
	st, err := store.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cs, err := st.Conflicts("main")
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// newStore creates a store in a temporary directory with keys set on main.
func newStore(t *testing.T, kv map[string]string) *store.Store {
	t.Helper()
	st, err := store.Init(filepath.Join(t.TempDir(), "s"), &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if len(kv) > 0 {
		_, err = st.Update(context.Background(), "main", store.CommitInfo{Message: "init"}, func(tr *store.Tree) error {
			for k, v := range kv {
				if err := tr.Set(k, store.String(v)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// TestTransports runs one scenario — clone, push, an up-to-date push, a
// refused non-fast-forward push, a pull with a conflict — over each
// transport: a directory path (in process, without git) and stock git
// http-backend serving the same kind of directory. (The server package tests
// gobi's own server in TestSyncWithServer.)
func TestTransports(t *testing.T) {
	for _, tr := range []struct {
		name string
		url  func(t *testing.T, src *store.Store) string
	}{
		{"path", func(t *testing.T, src *store.Store) string { return src.Path() }},
		{"git-http-backend", func(t *testing.T, src *store.Store) string {
			return gitServer(t, filepath.Dir(src.Path())) + "/" + filepath.Base(src.Path())
		}},
	} {
		t.Run(tr.name, func(t *testing.T) {
			src := newStore(t, map[string]string{"a/b": "1", "c": "2"})
			transportScenario(t, src, tr.url(t, src))
		})
	}
}

func transportScenario(t *testing.T, src *store.Store, url string) {
	ctx := context.Background()
	dst, res, err := Clone(ctx, url, filepath.Join(t.TempDir(), "clone"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if res.Objects == 0 || res.Heads["main"].IsZero() {
		t.Fatalf("Clone result %+v: want objects and a main head", res)
	}
	if _, err := dst.Set(ctx, "main", "a/d", store.String("3"), store.CommitInfo{}); err != nil {
		t.Fatal(err)
	}
	pres, err := Push(ctx, dst, "", nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if pres.Objects != 4 { // commit, root tree, tree a, blob "3"
		t.Errorf("Push sent %d objects, want 4", pres.Objects)
	}
	if err := src.Refresh(); err != nil {
		t.Fatal(err)
	}
	if v, err := src.Get("main", "a/d"); err != nil || string(v.Data) != "3" {
		t.Fatalf("source Get(a/d) after push = %q, %v; want 3", v.Data, err)
	}
	// Pushing again is a no-op; pushing a diverged branch is refused.
	if pres, err := Push(ctx, dst, "", nil, Options{}); err != nil || len(pres.Pushed) != 0 {
		t.Fatalf("second Push = %+v, %v; want nothing pushed", pres, err)
	}
	if _, err := src.Set(ctx, "main", "x", store.String("src"), store.CommitInfo{}); err != nil {
		t.Fatal(err)
	}
	if _, err := dst.Set(ctx, "main", "x", store.String("dst"), store.CommitInfo{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Push(ctx, dst, "", nil, Options{}); !errors.Is(err, ErrNonFastForward) {
		t.Fatalf("Push of diverged branch: %v, want ErrNonFastForward", err)
	}
	pull, err := Pull(ctx, dst, "", "main", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pull.Conflicts) != 1 || pull.Conflicts[0].Path != "x" {
		t.Fatalf("Pull conflicts = %+v, want one on x", pull.Conflicts)
	}
}

// TestMissingIsProportional checks that one changed key in a store of many
// costs the objects on its path only, not a walk of the store.
func TestMissingIsProportional(t *testing.T) {
	kv := map[string]string{}
	for i := range 500 {
		kv[fmt.Sprintf("d%d/k%d", i%20, i)] = fmt.Sprint(i)
	}
	st := newStore(t, kv)
	old, _ := st.Head("main")
	head, err := st.Set(context.Background(), "main", "d3/k3", store.String("changed"), store.CommitInfo{})
	if err != nil {
		t.Fatal(err)
	}
	r := OpenRepo(st)
	got, err := r.Missing([]plumbing.Hash{plumbing.Hash(head)}, []plumbing.Hash{plumbing.Hash(old)})
	if err != nil {
		t.Fatal(err)
	}
	if got.Len() != 4 { // commit, root tree, tree d3, blob
		t.Fatalf("Missing(new, old) = %d objects, want 4", got.Len())
	}
	all, err := r.Missing([]plumbing.Hash{plumbing.Hash(head)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// 2 commits, 2 root trees, 20+1 subtrees, 500+1 blobs.
	if all.Len() != 526 {
		t.Fatalf("Missing(new, none) = %d objects, want 526", all.Len())
	}
}

// TestHangingServer checks that a server that accepts connections and then
// says nothing, or stalls in the middle of its answer, costs no more than
// the timeout.
func TestHangingServer(t *testing.T) {
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, never answered
		}
	}()
	stall := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-git-upload-pack-advertisement")
		w.Write([]byte("001e# service=git-upload-pack\n0000"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer stall.Close()

	for _, url := range []string{"http://" + silent.Addr().String() + "/repo", stall.URL + "/repo"} {
		st := newStore(t, nil)
		start := time.Now()
		_, err := Fetch(context.Background(), st, url, Options{Timeout: 500 * time.Millisecond})
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("Fetch(%s) took %v with a 500ms timeout", url, took)
		}
		if !errors.Is(err, ErrTimeout) {
			t.Errorf("Fetch(%s) = %v, want ErrTimeout", url, err)
		}
		_, err = Push(context.Background(), st, url, nil, Options{Timeout: 500 * time.Millisecond})
		if err == nil {
			t.Errorf("Push(%s) succeeded against a hanging server", url)
		}
	}
}

// TestRefusedCredentials checks that 401 and 403 come back at once as
// ErrAuth, for clone, fetch and push.
func TestRefusedCredentials(t *testing.T) {
	for _, code := range []int{http.StatusUnauthorized, http.StatusForbidden} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "no", code)
		}))
		url := strings.Replace(srv.URL, "http://", "http://user:wrong@", 1) + "/repo.git"
		st := newStore(t, map[string]string{"k": "v"})
		start := time.Now()
		_, err := Fetch(context.Background(), st, url, Options{Timeout: 10 * time.Second})
		if !errors.Is(err, ErrAuth) {
			t.Errorf("Fetch with HTTP %d = %v, want ErrAuth", code, err)
		}
		if err != nil && strings.Contains(err.Error(), "wrong") {
			t.Errorf("error %q shows the password", err)
		}
		if _, err := Push(context.Background(), st, url, nil, Options{Timeout: 10 * time.Second}); !errors.Is(err, ErrAuth) {
			t.Errorf("Push with HTTP %d = %v, want ErrAuth", code, err)
		}
		dir := filepath.Join(t.TempDir(), "c")
		if _, _, err := Clone(context.Background(), url, dir, Options{Timeout: 10 * time.Second}); !errors.Is(err, ErrAuth) {
			t.Errorf("Clone with HTTP %d = %v, want ErrAuth", code, err)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("refused credentials took %v to report", took)
		}
		srv.Close()
	}
}

// TestStatsOverHTTP checks the traffic counts of a fetch through stock git.
func TestStatsOverHTTP(t *testing.T) {
	root := t.TempDir()
	url := gitServer(t, root) + "/up.git"
	bareRepo(t, root, "up.git")
	st := newStore(t, map[string]string{"k": "v"})
	pres, err := Push(context.Background(), st, url, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if pres.RoundTrips != 2 || pres.BytesSent == 0 || pres.Objects != 3 {
		t.Errorf("Push stats %+v: want 2 round trips, bytes sent, 3 objects", pres.Stats)
	}
	other := newStore(t, nil)
	fres, err := Fetch(context.Background(), other, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if fres.RoundTrips != 2 || fres.BytesReceived == 0 || fres.Objects != 3 {
		t.Errorf("Fetch stats %+v: want 2 round trips, bytes received, 3 objects", fres.Stats)
	}
	again, err := Fetch(context.Background(), other, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if again.RoundTrips != 1 || again.Objects != 0 {
		t.Errorf("up-to-date Fetch stats %+v: want 1 round trip, no objects", again.Stats)
	}
}
