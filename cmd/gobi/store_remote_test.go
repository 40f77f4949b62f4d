package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gobi-os/gobi/store"
)

// gobiStore runs `gobi store ARGS` in process and returns the exit status
// and output.
func gobiStore(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"store"}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// TestStoreRemoteCommands serves a store with `gobi store serve` and syncs
// a clone with it through clone, push, fetch and pull, as a user would.
func TestStoreRemoteCommands(t *testing.T) {
	root := t.TempDir()
	origin := filepath.Join(root, "origin")
	st, err := store.Init(origin, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Set(context.Background(), "main", "k", store.String("v1"), store.CommitInfo{}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	served := make(chan int)
	go func() {
		code := storeServe(ctx, origin, []string{"-addr", "127.0.0.1:0"}, nil, pw, io.Discard)
		pw.Close()
		served <- code
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, pr)
	url := regexp.MustCompile(`http://\S+`).FindString(line)
	if url == "" {
		t.Fatalf("serve printed %q, want its URL", line)
	}

	clone := filepath.Join(root, "clone")
	if code, out, errs := gobiStore(t, "clone", "-timeout", "10s", url, clone); code != 0 || !strings.Contains(out, "cloned") {
		t.Fatalf("clone = %d %q %q", code, out, errs)
	}
	local, err := store.Open(clone, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := local.Set(context.Background(), "main", "k", store.String("v2"), store.CommitInfo{}); err != nil {
		t.Fatal(err)
	}
	local.Close()
	if code, out, errs := gobiStore(t, "-C", clone, "push"); code != 0 || !strings.Contains(out, "pushed main") {
		t.Fatalf("push = %d %q %q", code, out, errs)
	}
	if code, out, errs := gobiStore(t, "-C", clone, "fetch", "-json"); code != 0 || !strings.Contains(out, `"round_trips": 1`) {
		t.Fatalf("fetch -json = %d %q %q", code, out, errs)
	}
	if code, out, errs := gobiStore(t, "-C", clone, "pull", "-b", "main", "origin"); code != 0 || !strings.Contains(out, "already up to date") {
		t.Fatalf("pull = %d %q %q", code, out, errs)
	}
	if code, _, errs := gobiStore(t, "-C", clone, "push", "a", "b"); code != 1 || !strings.Contains(errs, "flags go before arguments") {
		t.Errorf("push with two remotes = %d %q, want 1 and a hint", code, errs)
	}
	if code, _, errs := gobiStore(t, "-C", clone, "fetch", "nosuchremote"); code != 1 || !strings.Contains(errs, `no remote named "nosuchremote"`) {
		t.Errorf("fetch of an unknown remote = %d %q", code, errs)
	}

	cancel()
	select {
	case code := <-served:
		if code != 0 {
			t.Errorf("serve exited %d after its context ended, want 0", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop when its context ended")
	}
	st, err = store.Open(origin, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if v, err := st.Get("main", "k"); err != nil || string(v.Data) != "v2" {
		t.Errorf("origin k after push = %q, %v; want v2", v.Data, err)
	}
}
