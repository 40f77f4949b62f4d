package sync

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gobi-os/gobi/store"
)

// Clone creates a store at dir (which must not exist or be empty) holding a
// copy of every branch of url, records url as remote DefaultRemote, and
// returns the opened store. On failure it removes what it created.
func Clone(ctx context.Context, url, dir string, opts Options) (*store.Store, *FetchResult, error) {
	ctx, cancel := opts.withDeadline(ctx)
	defer cancel()
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, nil, err
	}
	if u, err := filepath.Abs(url); err == nil && u == abs {
		return nil, nil, errors.New("clone: source and destination are the same directory")
	}
	existed := false
	if _, err := os.Stat(abs); err == nil {
		existed = true
	}
	st, err := store.Init(abs, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("clone: %w", err)
	}
	res, err := cloneInto(ctx, st, url, opts)
	if err != nil {
		st.Close()
		if existed {
			removeContents(abs)
		} else {
			os.RemoveAll(abs)
		}
		return nil, nil, err
	}
	return st, res, nil
}

func cloneInto(ctx context.Context, st *store.Store, url string, opts Options) (*FetchResult, error) {
	r := OpenRepo(st)
	if err := addRemote(r, DefaultRemote, url); err != nil {
		return nil, err
	}
	p, err := dial(url, opts)
	if err != nil {
		return nil, err
	}
	defer p.close()
	res, err := fetch(ctx, r, p, DefaultRemote)
	if res != nil {
		res.URL = redactURL(url)
		res.Stats = withObjects(p.stats(), res.Objects)
	}
	if err != nil {
		return nil, fmt.Errorf("cloning %w", explain(ctx, url, err))
	}
	for branch, h := range res.Heads {
		if err := st.CreateBranch(branch, h); err != nil {
			return nil, fmt.Errorf("cloning %s: %w", redactURL(url), err)
		}
	}
	return res, nil
}

// removeContents empties dir, leaving dir itself as the caller found it.
func removeContents(dir string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		os.RemoveAll(filepath.Join(dir, e.Name()))
	}
}
