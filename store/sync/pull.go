package sync

import (
	"context"
	"fmt"

	"github.com/gobi-os/gobi/store"
)

// PullResult reports a pull: the fetch, then the merge.
type PullResult struct {
	Fetch *FetchResult
	*store.MergeResult
}

// Pull fetches remote (as Fetch does) and merges its branch into the local
// branch of the same name with store.MergeCommit: a fast-forward when the
// local branch has no commits of its own, else a three-way merge of typed
// values whose conflicts are committed as pending-conflict records and
// returned in the result. A local branch that does not exist is created at
// the remote head.
func Pull(ctx context.Context, st *store.Store, remote, branch string, opts Options) (*PullResult, error) {
	if branch == "" {
		branch = store.DefaultBranch
	}
	if err := store.CheckBranchName(branch); err != nil {
		return nil, err
	}
	ctx, cancel := opts.withDeadline(ctx)
	defer cancel()
	fres, err := Fetch(ctx, st, remote, opts)
	if err != nil {
		return nil, err
	}
	theirs, ok := fres.Heads[branch]
	if !ok {
		return nil, fmt.Errorf("pulling from %s: the remote has no branch %q", fres.URL, branch)
	}
	mres, err := st.MergeCommit(ctx, branch, theirs, store.CommitInfo{
		Message: fmt.Sprintf("merge %s of %s into %s", branch, fres.URL, branch),
	})
	if err != nil {
		return nil, fmt.Errorf("pulling from %s: merging into %s: %w", fres.URL, branch, err)
	}
	return &PullResult{Fetch: fres, MergeResult: mres}, nil
}
