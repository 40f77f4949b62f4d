package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/gobi-os/gobi/store"
	"github.com/gobi-os/gobi/store/server"
	"github.com/gobi-os/gobi/store/sync"
)

// remoteFlags are the flags fetch, pull and push share.
type remoteFlags struct {
	timeout time.Duration
	branch  string
	json    bool
}

// newRemoteFlagSet returns a flag set for `gobi store NAME` with the
// shared flags registered in f.
func newRemoteFlagSet(name, args string, f *remoteFlags, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("gobi store "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&f.timeout, "timeout", sync.DefaultTimeout, "give up on the network operation after `duration`")
	fs.BoolVar(&f.json, "json", false, "print the result as JSON")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: gobi store %s [flags] %s\n", name, args)
		fs.PrintDefaults()
	}
	return fs
}

// storeDir returns the repository directory of -C, defaulting to ".".
func storeDir(dir string) string {
	if dir == "" {
		return "."
	}
	return dir
}

// openForRemote opens the store at dir for a remote subcommand.
func openForRemote(dir string) (*store.Store, error) {
	st, err := store.Open(storeDir(dir), nil)
	if err != nil {
		return nil, fmt.Errorf("%w (give the store directory with -C DIR, or create one with gobi store init or clone)", err)
	}
	return st, nil
}

// remoteArg returns the optional single REMOTE argument.
func remoteArg(fs *flag.FlagSet) (string, error) {
	switch fs.NArg() {
	case 0:
		return "", nil
	case 1:
		return fs.Arg(0), nil
	}
	return "", fmt.Errorf("want at most one remote, got %q (flags go before arguments)", fs.Args())
}

// report prints v as JSON, or line by the human form.
func report(stdout io.Writer, asJSON bool, v any, line string) {
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(v)
		return
	}
	fmt.Fprintln(stdout, line)
}

// fetchJSON is a sync.FetchResult as -json prints it: hashes in hex.
type fetchJSON struct {
	Remote  string            `json:"remote"`
	URL     string            `json:"url"`
	Heads   map[string]string `json:"heads"`
	Updated []string          `json:"updated"`
	sync.Stats
}

func toFetchJSON(r *sync.FetchResult) fetchJSON {
	out := fetchJSON{Remote: r.Remote, URL: r.URL, Heads: map[string]string{}, Updated: r.Updated, Stats: r.Stats}
	for b, h := range r.Heads {
		out.Heads[b] = h.String()
	}
	if out.Updated == nil {
		out.Updated = []string{}
	}
	return out
}

// pullJSON is a sync.PullResult as -json prints it.
type pullJSON struct {
	Fetch       fetchJSON `json:"fetch"`
	Commit      string    `json:"commit"`
	UpToDate    bool      `json:"up_to_date"`
	FastForward bool      `json:"fast_forward"`
	Conflicts   []string  `json:"conflicts"`
}

// traffic formats a Stats for people.
func traffic(s sync.Stats) string {
	return fmt.Sprintf("%d objects, %d bytes sent, %d received, %d round trips", s.Objects, s.BytesSent, s.BytesReceived, s.RoundTrips)
}

// fail prints err for subcommand name and returns exit status 1.
func fail(stderr io.Writer, name string, err error) int {
	fmt.Fprintf(stderr, "gobi store %s: %v\n", name, err)
	return 1
}

// storeClone runs `gobi store clone [-timeout D] URL DIR`.
func storeClone(ctx context.Context, dir string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var f remoteFlags
	fs := newRemoteFlagSet("clone", "URL DIR", &f, stderr)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return 2
	}
	url, dst := fs.Arg(0), fs.Arg(1)
	if dir != "" && !filepath.IsAbs(dst) {
		dst = filepath.Join(dir, dst)
	}
	st, res, err := sync.Clone(ctx, url, dst, sync.Options{Timeout: f.timeout})
	if err != nil {
		return fail(stderr, "clone", err)
	}
	defer st.Close()
	report(stdout, f.json, toFetchJSON(res), fmt.Sprintf("cloned %s into %s: %d branch(es); %s", res.URL, dst, len(res.Heads), traffic(res.Stats)))
	return 0
}

// storeFetch runs `gobi store -C DIR fetch [-timeout D] [REMOTE]`.
func storeFetch(ctx context.Context, dir string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var f remoteFlags
	fs := newRemoteFlagSet("fetch", "[REMOTE-URL-or-name]", &f, stderr)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	remote, err := remoteArg(fs)
	if err != nil {
		return fail(stderr, "fetch", err)
	}
	st, err := openForRemote(dir)
	if err != nil {
		return fail(stderr, "fetch", err)
	}
	defer st.Close()
	res, err := sync.Fetch(ctx, st, remote, sync.Options{Timeout: f.timeout})
	if err != nil {
		return fail(stderr, "fetch", err)
	}
	line := fmt.Sprintf("fetched %s: %d branch(es), %d updated; %s", res.URL, len(res.Heads), len(res.Updated), traffic(res.Stats))
	report(stdout, f.json, toFetchJSON(res), line)
	return 0
}

// storePull runs `gobi store -C DIR pull [-timeout D] [-b BRANCH] [REMOTE]`:
// fetch, then merge the remote branch into the local one. Like merge, it
// exits 1 on conflict after committing the conflict record.
func storePull(ctx context.Context, dir string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var f remoteFlags
	fs := newRemoteFlagSet("pull", "[REMOTE-URL-or-name]", &f, stderr)
	fs.StringVar(&f.branch, "b", store.DefaultBranch, "merge the remote `branch` into the local branch of that name")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	remote, err := remoteArg(fs)
	if err != nil {
		return fail(stderr, "pull", err)
	}
	st, err := openForRemote(dir)
	if err != nil {
		return fail(stderr, "pull", err)
	}
	defer st.Close()
	res, err := sync.Pull(ctx, st, remote, f.branch, sync.Options{Timeout: f.timeout})
	if err != nil {
		return fail(stderr, "pull", err)
	}
	var line string
	switch {
	case res.UpToDate:
		line = fmt.Sprintf("%s: already up to date", f.branch)
	case res.FastForward:
		line = fmt.Sprintf("%s: fast-forward to %s", f.branch, res.Commit)
	default:
		line = fmt.Sprintf("%s: merged into %s", f.branch, res.Commit)
	}
	line += "; " + traffic(res.Fetch.Stats)
	paths := []string{}
	for _, c := range res.Conflicts {
		paths = append(paths, c.Path)
	}
	if len(paths) > 0 {
		line += fmt.Sprintf("\nconflicts (committed; list them with gobi store conflicts, resolve with gobi store resolve):\n  %s", strings.Join(paths, "\n  "))
	}
	report(stdout, f.json, pullJSON{
		Fetch: toFetchJSON(res.Fetch), Commit: res.Commit.String(),
		UpToDate: res.UpToDate, FastForward: res.FastForward, Conflicts: paths,
	}, line)
	if len(res.Conflicts) > 0 {
		return 1
	}
	return 0
}

// storePush runs `gobi store -C DIR push [-timeout D] [-b BRANCH] [REMOTE]`.
func storePush(ctx context.Context, dir string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var f remoteFlags
	fs := newRemoteFlagSet("push", "[REMOTE-URL-or-name]", &f, stderr)
	fs.StringVar(&f.branch, "b", store.DefaultBranch, "push `branch`")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	remote, err := remoteArg(fs)
	if err != nil {
		return fail(stderr, "push", err)
	}
	st, err := openForRemote(dir)
	if err != nil {
		return fail(stderr, "push", err)
	}
	defer st.Close()
	res, err := sync.Push(ctx, st, remote, []string{f.branch}, sync.Options{Timeout: f.timeout})
	if err != nil {
		return fail(stderr, "push", err)
	}
	line := fmt.Sprintf("%s: already up to date on %s", f.branch, res.URL)
	if len(res.Pushed) > 0 {
		line = fmt.Sprintf("pushed %s to %s; %s", strings.Join(res.Pushed, ", "), res.URL, traffic(res.Stats))
	}
	report(stdout, f.json, res, line)
	return 0
}

// storeServe runs `gobi store -C DIR serve [-addr HOST:PORT] [-readonly]`
// until ctx ends. It prints the URL it serves once it listens, so scripts
// can pass -addr 127.0.0.1:0 and read the port.
func storeServe(ctx context.Context, dir string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gobi store serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "listen on `host:port` (port 0 picks a free one)")
	readOnly := fs.Bool("readonly", false, "refuse pushes and JSON API writes")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: gobi store -C DIR serve [flags]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return 2
	}
	st, err := openForRemote(dir)
	if err != nil {
		return fail(stderr, "serve", err)
	}
	defer st.Close()
	h := server.New(st, server.Options{ReadOnly: *readOnly})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fail(stderr, "serve", err)
	}
	// Request contexts derive from ctx, so watch streams end when serve does.
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
	fmt.Fprintf(stdout, "serving %s at http://%s/\n", storeDir(dir), ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fail(stderr, "serve", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fail(stderr, "serve", err)
	}
	return 0
}
