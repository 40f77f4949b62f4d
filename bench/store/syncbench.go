package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/cgi"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/gobi-os/gobi/store"
	"github.com/gobi-os/gobi/store/server"
	"github.com/gobi-os/gobi/store/sync"
)

// syncRow is one measured sync.
type syncRow struct {
	Server     string  `json:"server"`
	Op         string  `json:"op"`
	K          int     `json:"k"`
	Objects    int     `json:"objects"`
	BytesSent  int64   `json:"bytes_sent"`
	BytesRecv  int64   `json:"bytes_received"`
	RoundTrips int     `json:"round_trips"`
	Millis     float64 `json:"ms"`
}

// serveHTTP serves h on a loopback port until the returned stop is called.
func serveHTTP(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}

// changeKeys commits new values for k keys of branch main, spread over the
// tree, starting at key offset.
func changeKeys(st *store.Store, n, k, offset int, tag string) error {
	_, err := st.Update(context.Background(), "main", store.CommitInfo{Message: tag}, func(t *store.Tree) error {
		step := max(n/k, 1)
		for j := range min(k, n) {
			if err := t.Set(mergeKey((j*step+offset)%n), store.String(tag)); err != nil {
				return err
			}
		}
		return nil
	})
	return err
}

// syncBench measures fetch and push of k changed keys in a store of n keys,
// between two replicas through the Gobi server, and fetches through stock
// git http-backend.
func syncBench(dir string, n int, ks []int) (*result, error) {
	ctx := context.Background()
	opts := sync.Options{Timeout: 5 * time.Minute}
	origin, err := store.Init(filepath.Join(dir, "origin"), &store.Options{NoSync: true})
	if err != nil {
		return nil, err
	}
	defer origin.Close()
	_, err = origin.Update(ctx, "main", store.CommitInfo{Message: "base"}, func(t *store.Tree) error {
		for i := range n {
			if err := t.Set(mergeKey(i), store.String(fmt.Sprint(i))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	url, stop, err := serveHTTP(server.New(origin, server.Options{}))
	if err != nil {
		return nil, err
	}
	defer stop()
	replica, _, err := sync.Clone(ctx, url, filepath.Join(dir, "replica"), opts)
	if err != nil {
		return nil, err
	}
	defer replica.Close()

	// A bare repository served by stock git, fed from origin by file path.
	bare := filepath.Join(dir, "bare.git")
	gitURL := ""
	var gitReplica *store.Store
	if _, err := exec.LookPath("git"); err == nil {
		if out, err := exec.Command("git", "init", "-q", "--bare", "-b", "main", bare).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("git init: %v: %s", err, out)
		}
		if _, err := sync.Push(ctx, origin, bare, nil, opts); err != nil {
			return nil, err
		}
		gitPath, _ := exec.LookPath("git")
		u, stopGit, err := serveHTTP(&cgi.Handler{Path: gitPath, Args: []string{"http-backend"},
			Env: []string{"GIT_PROJECT_ROOT=" + dir, "GIT_HTTP_EXPORT_ALL=1"}})
		if err != nil {
			return nil, err
		}
		defer stopGit()
		gitURL = u + "/bare.git"
		if gitReplica, _, err = sync.Clone(ctx, gitURL, filepath.Join(dir, "git-replica"), opts); err != nil {
			return nil, err
		}
		defer gitReplica.Close()
	}

	var rows []syncRow
	row := func(srv, op string, k int, s sync.Stats, d time.Duration) {
		rows = append(rows, syncRow{Server: srv, Op: op, K: k, Objects: s.Objects, BytesSent: s.BytesSent, BytesRecv: s.BytesReceived, RoundTrips: s.RoundTrips, Millis: ms(d)})
	}
	for i, k := range ks {
		if err := changeKeys(origin, n, k, 3*i, fmt.Sprintf("origin-%d", k)); err != nil {
			return nil, err
		}
		t0 := time.Now()
		f, err := sync.Fetch(ctx, replica, "", opts)
		if err != nil {
			return nil, err
		}
		row("gobi serve", "fetch", k, f.Stats, time.Since(t0))
		// Then the other direction: the replica, now up to date, changes
		// k other keys and pushes them.
		if err := changeKeys(replica, n, k, 3*i+1, fmt.Sprintf("replica-%d", k)); err != nil {
			return nil, err
		}
		if _, err := replica.MergeCommit(ctx, "main", f.Heads["main"], store.CommitInfo{}); err != nil {
			return nil, err
		}
		t0 = time.Now()
		p, err := sync.Push(ctx, replica, "", nil, opts)
		if err != nil {
			return nil, err
		}
		row("gobi serve", "push", k, p.Stats, time.Since(t0))
		if gitReplica != nil {
			if _, err := sync.Push(ctx, origin, bare, nil, opts); err != nil {
				return nil, err
			}
			t0 = time.Now()
			f, err := sync.Fetch(ctx, gitReplica, "", opts)
			if err != nil {
				return nil, err
			}
			row("git http-backend", "fetch", k, f.Stats, time.Since(t0))
		}
	}
	return &result{Sync: rows, Extra: map[string]float64{"keys": float64(n)}}, nil
}
