package sync

import (
	"context"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/gobi-os/gobi/store"
)

// PushResult reports a push.
type PushResult struct {
	// Remote and URL name the destination as in FetchResult.
	Remote string `json:"remote"`
	URL    string `json:"url"`
	// Pushed lists the branches whose remote head moved; branches already
	// up to date are left out.
	Pushed []string `json:"pushed"`
	Stats
}

// Push sends branches (none: store.DefaultBranch) to remote and moves the
// remote branches to the local heads, each by compare-and-swap against the
// head the remote advertised. It refuses, with ErrNonFastForward, to move a
// remote branch to a commit that does not descend from it: pull (which
// merges) and push again.
func Push(ctx context.Context, st *store.Store, remote string, branches []string, opts Options) (*PushResult, error) {
	ctx, cancel := opts.withDeadline(ctx)
	defer cancel()
	if len(branches) == 0 {
		branches = []string{store.DefaultBranch}
	}
	r := OpenRepo(st)
	name, url, p, err := dialRemote(r, remote, opts)
	if err != nil {
		return nil, err
	}
	defer p.close()
	res := &PushResult{Remote: name, URL: redactURL(url)}
	err = push(ctx, r, p, name, branches, res)
	res.Stats = withObjects(p.stats(), res.Objects)
	if err != nil {
		return nil, fmt.Errorf("pushing to %w", explain(ctx, url, err))
	}
	return res, nil
}

func push(ctx context.Context, r *Repo, p peer, name string, branches []string, res *PushResult) error {
	adv, err := p.advertise(ctx, true)
	if err != nil {
		return err
	}
	var updates []update
	var wants, haves []plumbing.Hash
	for _, h := range adv {
		haves = append(haves, h)
	}
	for _, b := range branches {
		head, err := r.st.Head(b)
		if err != nil {
			return err
		}
		ref := headsPrefix + b
		local, remote := plumbing.Hash(head), adv[ref]
		if local == remote {
			continue
		}
		if !remote.IsZero() {
			ok, err := descends(r, local, remote)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("branch %s: %w: run pull, then push", b, ErrNonFastForward)
			}
		}
		updates = append(updates, update{name: ref, old: remote, new: local})
		wants = append(wants, local)
		res.Pushed = append(res.Pushed, b)
	}
	if len(updates) == 0 {
		return nil
	}
	objs, err := r.Missing(wants, haves)
	if err != nil {
		return err
	}
	res.Objects = objs.Len()
	if err := p.push(ctx, r, updates, objs); err != nil {
		return err
	}
	if name == "" {
		return nil
	}
	for _, u := range updates {
		b, _ := branchName(u.name)
		ref := trackingRef(name, b)
		old, err := r.ref(ref)
		if err != nil {
			return err
		}
		if err := r.SetRef(ref, old, u.new); err != nil {
			return fmt.Errorf("updating %s: %w", ref, err)
		}
	}
	return nil
}

// descends reports whether commit c has ancestor a (or is a). An ancestor
// missing locally means the remote has commits this side never fetched.
func descends(r *Repo, c, a plumbing.Hash) (bool, error) {
	if !r.Has(a) {
		return false, nil
	}
	anc, err := ancestors(r.objs, []plumbing.Hash{c})
	if err != nil {
		return false, err
	}
	return anc[a], nil
}
