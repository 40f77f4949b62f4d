package store

import (
	"container/heap"
	"fmt"
	"iter"
)

// commitQueue is a max-heap of commits by committer time, the order in which
// Log and MergeBase visit history (as git's commit walks do).
type commitQueue []*Commit

func (q commitQueue) Len() int { return len(q) }
func (q commitQueue) Less(i, j int) bool {
	return q[i].Committer.When.After(q[j].Committer.When)
}
func (q commitQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *commitQueue) Push(x any)   { *q = append(*q, x.(*Commit)) }
func (q *commitQueue) Pop() any {
	old := *q
	c := old[len(old)-1]
	*q = old[:len(old)-1]
	return c
}

// Log returns the commits reachable from head, newest first by committer
// time, each once. Breaking out of the loop stops the walk.
func (s *Store) Log(head Hash) iter.Seq2[*Commit, error] {
	return func(yield func(*Commit, error) bool) {
		c, err := s.ReadCommit(head)
		if err != nil {
			yield(nil, err)
			return
		}
		q := &commitQueue{c}
		seen := map[Hash]bool{head: true}
		for q.Len() > 0 {
			c := heap.Pop(q).(*Commit)
			if !yield(c, nil) {
				return
			}
			for _, p := range c.Parents {
				if seen[p] {
					continue
				}
				seen[p] = true
				pc, err := s.ReadCommit(p)
				if err != nil {
					yield(nil, err)
					return
				}
				heap.Push(q, pc)
			}
		}
	}
}

// Flags painted on commits by MergeBase, after git's paint_down_to_common.
const (
	fromOurs = 1 << iota
	fromTheirs
	stale
	isResult
)

// MergeBase returns the best common ancestor of a and b: a common ancestor
// that no other common ancestor descends from, the newest if there are
// several (criss-cross histories). It returns the zero Hash if the
// histories are unrelated.
func (s *Store) MergeBase(a, b Hash) (Hash, error) {
	if a == b {
		return a, nil
	}
	flags := map[Hash]int{}
	q := &commitQueue{}
	for _, x := range []struct {
		h Hash
		f int
	}{{a, fromOurs}, {b, fromTheirs}} {
		c, err := s.ReadCommit(x.h)
		if err != nil {
			return Hash{}, err
		}
		flags[x.h] |= x.f
		heap.Push(q, c)
	}
	var results []*Commit
	live := func() bool {
		for _, c := range *q {
			if flags[c.Hash]&stale == 0 {
				return true
			}
		}
		return false
	}
	for live() {
		c := heap.Pop(q).(*Commit)
		fl := flags[c.Hash] & (fromOurs | fromTheirs | stale)
		if fl == fromOurs|fromTheirs {
			if flags[c.Hash]&isResult == 0 {
				flags[c.Hash] |= isResult
				results = append(results, c)
			}
			fl |= stale
		}
		for _, p := range c.Parents {
			if flags[p]&fl == fl {
				continue
			}
			pc, err := s.ReadCommit(p)
			if err != nil {
				return Hash{}, err
			}
			flags[p] |= fl
			heap.Push(q, pc)
		}
	}
	// Drop candidates that are ancestors of other candidates.
	var best *Commit
	for _, c := range results {
		if flags[c.Hash]&stale == 0 && !s.isRedundant(c, results) {
			if best == nil || c.Committer.When.After(best.Committer.When) {
				best = c
			}
		}
	}
	if best == nil {
		return Hash{}, nil
	}
	return best.Hash, nil
}

// isRedundant reports whether c is an ancestor of another candidate.
func (s *Store) isRedundant(c *Commit, candidates []*Commit) bool {
	for _, o := range candidates {
		if o.Hash == c.Hash {
			continue
		}
		for anc, err := range s.Log(o.Hash) {
			if err != nil || anc.Committer.When.Before(c.Committer.When) && anc.Hash != c.Hash {
				break
			}
			if anc.Hash == c.Hash {
				return true
			}
		}
	}
	return false
}

// IsAncestor reports whether commit a is reachable from commit b.
func (s *Store) IsAncestor(a, b Hash) (bool, error) {
	base, err := s.MergeBase(a, b)
	return base == a, err
}

// LastModified returns the newest commit reachable from head that changed
// key (set it to a new value or removed it), or an error wrapping
// ErrNotFound if no commit did.
func (s *Store) LastModified(head Hash, key string) (*Commit, error) {
	parts, err := splitKey(key)
	if err != nil {
		return nil, err
	}
	for c, err := range s.Log(head) {
		if err != nil {
			return nil, err
		}
		h, err := s.entryAt(c.Tree, parts)
		if err != nil {
			return nil, err
		}
		if len(c.Parents) == 0 && !h.IsZero() {
			return c, nil
		}
		for _, p := range c.Parents {
			pc, err := s.ReadCommit(p)
			if err != nil {
				return nil, err
			}
			ph, err := s.entryAt(pc.Tree, parts)
			if err != nil {
				return nil, err
			}
			if ph != h {
				return c, nil
			}
		}
	}
	return nil, fmt.Errorf("last modification of %s: %w", key, ErrNotFound)
}

// entryAt returns the hash of the entry at path parts under stored tree
// root, or the zero Hash if there is none.
func (s *Store) entryAt(root Hash, parts []string) (Hash, error) {
	h := root
	for i, p := range parts {
		es, err := s.readTree(h)
		if err != nil {
			return Hash{}, err
		}
		e, ok := findEntry(es, p)
		if !ok || (!e.isDir() && i < len(parts)-1) {
			return Hash{}, nil
		}
		h = e.hash
	}
	return h, nil
}
