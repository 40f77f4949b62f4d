package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gobi-os/gobi/store/backend"
)

// CommitInfo describes a commit to make. Zero fields take defaults: the
// author "gobi <gobi@localhost>", the committer the author, the time now.
type CommitInfo struct {
	Author    Signature
	Committer Signature
	Message   string
}

func (ci CommitInfo) signatures() (Signature, Signature) {
	a, c := ci.Author, ci.Committer
	if a.Name == "" {
		a.Name = "gobi"
	}
	if a.Email == "" {
		a.Email = "gobi@localhost"
	}
	if a.When.IsZero() {
		a.When = time.Now()
	}
	if c.Name == "" {
		c.Name, c.Email = a.Name, a.Email
	}
	if c.When.IsZero() {
		c.When = a.When
	}
	return a, c
}

// Snapshot returns a read view of the tree at rev (a branch, tag or commit
// hash). Changes to it are not committed unless passed to WriteCommit.
func (s *Store) Snapshot(rev string) (*Tree, error) {
	h, err := s.Rev(rev)
	if err != nil {
		return nil, err
	}
	return s.TreeAt(h)
}

// TreeAt returns the tree of commit h.
func (s *Store) TreeAt(h Hash) (*Tree, error) {
	c, err := s.ReadCommit(h)
	if err != nil {
		return nil, err
	}
	return s.treeOf(c.Tree), nil
}

// WriteCommit stores the objects of t and a commit of it with the given
// parents, and returns the commit's hash. It moves no branch: pass the hash
// to SetHead. Objects are durable before WriteCommit returns, so a branch
// moved afterwards never points at a partial commit.
func (s *Store) WriteCommit(t *Tree, parents []Hash, info CommitInfo) (Hash, error) {
	root, err := t.Hash()
	if err != nil {
		return Hash{}, err
	}
	objs, names, err := t.newObjects()
	if err != nil {
		return Hash{}, err
	}
	return s.writeCommitObjects(objs, names, root, parents, info)
}

// writeCommitObjects stores objs (named names), which complete tree root,
// and a commit of root, in one batch.
func (s *Store) writeCommitObjects(objs []backend.Object, names []Hash, root Hash, parents []Hash, info CommitInfo) (Hash, error) {
	c := &Commit{Tree: root, Parents: parents, Message: info.Message}
	c.Author, c.Committer = info.signatures()
	if c.Message == "" || c.Message[len(c.Message)-1] != '\n' {
		c.Message += "\n"
	}
	obj := backend.Object{Type: backend.CommitObject, Data: encodeCommit(c)}
	c.Hash = obj.Hash()
	objs, names = append(objs, obj), append(names, c.Hash)
	var err error
	if hp, ok := s.st.(backend.HashedPutter); ok {
		err = hp.PutHashed(objs, names) // the names were computed from these bytes
	} else {
		err = s.st.PutObjects(objs)
	}
	if err != nil {
		return Hash{}, fmt.Errorf("writing commit: %w", err)
	}
	s.cache.put(c.Hash, c, len(obj.Data))
	return c.Hash, nil
}

// Update runs fn on the tree at the head of branch (empty if the branch
// does not exist yet) and commits the result as the new head by
// compare-and-swap. If another writer moved the head meanwhile, Update
// re-reads it and runs fn again, so fn must only depend on the tree it is
// given; it gives up after Options.RetryTimeout or when ctx ends. If fn
// returns an error nothing is committed. If fn leaves the tree unchanged,
// nothing is committed and the current head is returned. On a Git
// directory, writers to one branch take turns (an flock per branch), so
// fn must not itself call Update on the same branch.
func (s *Store) Update(ctx context.Context, branch string, info CommitInfo, fn func(*Tree) error) (Hash, error) {
	if err := CheckBranchName(branch); err != nil {
		return Hash{}, err
	}
	if l, ok := s.st.(backend.RefLocker); ok {
		unlock, err := l.LockRef(branchPrefix + branch)
		if err != nil {
			return Hash{}, err
		}
		defer unlock()
	}
	deadline := time.Now().Add(s.opts.RetryTimeout)
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return Hash{}, err
		}
		head, err := s.st.Ref(branchPrefix + branch)
		var t *Tree
		var parents []Hash
		switch {
		case errors.Is(err, ErrNotFound):
			t = s.EmptyTree()
		case err != nil:
			return Hash{}, err
		default:
			if t, err = s.TreeAt(head); err != nil {
				return Hash{}, err
			}
			parents = []Hash{head}
		}
		before := t.root.hash
		if err := fn(t); err != nil {
			return Hash{}, err
		}
		after, err := t.Hash()
		if err != nil {
			return Hash{}, err
		}
		if after == before && !head.IsZero() {
			return head, nil
		}
		c, err := s.WriteCommit(t, parents, info)
		if err != nil {
			return Hash{}, err
		}
		err = s.st.CompareAndSwapRef(branchPrefix+branch, head, c)
		if err == nil {
			s.notify()
			return c, nil
		}
		if !errors.Is(err, ErrRefChanged) || time.Now().After(deadline) {
			return Hash{}, fmt.Errorf("updating branch %s: %w", branch, err)
		}
		backoff(ctx, attempt)
	}
}

// backoff sleeps a little longer after each lost race, with jitter so
// competing writers spread out.
func backoff(ctx context.Context, attempt int) {
	d := time.Duration(1<<min(attempt, 6)) * 50 * time.Microsecond
	d += time.Duration(time.Now().UnixNano() % int64(d))
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// Set is Update with a single key set: a convenience for one write.
func (s *Store) Set(ctx context.Context, branch, key string, v Value, info CommitInfo) (Hash, error) {
	return s.Update(ctx, branch, info, func(t *Tree) error { return t.Set(key, v) })
}

// Get returns the value at key on branch.
func (s *Store) Get(branch, key string) (Value, error) {
	t, err := s.Snapshot(branch)
	if err != nil {
		return Value{}, err
	}
	return t.Get(key)
}

// Revert makes a new commit on branch whose tree is the tree of commit to:
// history is kept, and the revert syncs and merges like any other commit.
func (s *Store) Revert(ctx context.Context, branch string, to Hash, info CommitInfo) (Hash, error) {
	target, err := s.ReadCommit(to)
	if err != nil {
		return Hash{}, err
	}
	if info.Message == "" {
		info.Message = fmt.Sprintf("revert to %s", to)
	}
	return s.Update(ctx, branch, info, func(t *Tree) error {
		*t = *s.treeOf(target.Tree)
		return nil
	})
}
