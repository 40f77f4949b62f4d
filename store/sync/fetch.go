package sync

import (
	"context"
	"fmt"
	"sort"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/gobi-os/gobi/store"
)

// FetchResult reports a fetch.
type FetchResult struct {
	// Remote is the remote's name, or "" for a URL not recorded in the
	// repository's config (then no remote-tracking references are kept).
	Remote string
	// URL is where the objects came from.
	URL string
	// Heads maps each remote branch to its commit.
	Heads map[string]store.Hash
	// Updated lists the remote-tracking references that moved, sorted.
	Updated []string
	Stats
}

// Fetch downloads the branches of remote — a configured remote name ("" for
// DefaultRemote), an http(s):// URL or a path — with the objects they need,
// and points the remote-tracking references refs/remotes/NAME/BRANCH at them.
// Local branches do not move; see Pull.
func Fetch(ctx context.Context, st *store.Store, remote string, opts Options) (*FetchResult, error) {
	ctx, cancel := opts.withDeadline(ctx)
	defer cancel()
	r := OpenRepo(st)
	name, url, p, err := dialRemote(r, remote, opts)
	if err != nil {
		return nil, err
	}
	defer p.close()
	res, err := fetch(ctx, r, p, name)
	if res != nil {
		res.URL = redactURL(url)
		res.Stats = withObjects(p.stats(), res.Objects)
	}
	if err != nil {
		return nil, fmt.Errorf("fetching from %w", explain(ctx, url, err))
	}
	return res, nil
}

// fetch runs one fetch from p into r, keeping tracking refs under name.
func fetch(ctx context.Context, r *Repo, p peer, name string) (*FetchResult, error) {
	adv, err := p.advertise(ctx, false)
	if err != nil {
		return nil, err
	}
	res := &FetchResult{Remote: name, Heads: map[string]store.Hash{}}
	var wants []plumbing.Hash
	wanted := map[plumbing.Hash]bool{}
	for ref, h := range adv {
		branch, ok := branchName(ref)
		if !ok {
			continue
		}
		res.Heads[branch] = store.Hash(h)
		if !wanted[h] && !r.Has(h) {
			wanted[h] = true
			wants = append(wants, h)
		}
	}
	if len(wants) > 0 {
		haves, err := localTips(r)
		if err != nil {
			return nil, err
		}
		if res.Objects, err = p.fetch(ctx, r, wants, haves); err != nil {
			return res, err
		}
	}
	if name == "" {
		return res, nil
	}
	for branch, h := range res.Heads {
		ref := trackingRef(name, branch)
		old, err := r.ref(ref)
		if err != nil {
			return res, err
		}
		if old == plumbing.Hash(h) {
			continue
		}
		if err := r.SetRef(ref, old, plumbing.Hash(h)); err != nil {
			return res, fmt.Errorf("updating %s: %w", ref, err)
		}
		res.Updated = append(res.Updated, ref)
	}
	sort.Strings(res.Updated)
	return res, nil
}

// localTips returns the distinct commits the local branches and
// remote-tracking references point to: what a fetch tells the server it has.
func localTips(r *Repo) ([]plumbing.Hash, error) {
	var out []plumbing.Hash
	seen := map[plumbing.Hash]bool{}
	for _, prefix := range []string{headsPrefix, remotesPrefix} {
		refs, err := r.Refs(prefix)
		if err != nil {
			return nil, err
		}
		for _, h := range refs {
			if !seen[h] {
				seen[h] = true
				out = append(out, h)
			}
		}
	}
	return out, nil
}

// withObjects returns the transport's counts with the operation's object
// count.
func withObjects(s Stats, objects int) Stats {
	s.Objects = objects
	return s
}
