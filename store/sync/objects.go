package sync

import (
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// Objects is the set of objects one side sends the other, in the order
// they are found, each with the version of it the receiver already has or
// is sent first (the object at the same path in the parent commit), to
// delta against.
type Objects struct {
	Hashes []plumbing.Hash
	bases  map[plumbing.Hash]plumbing.Hash
	sent   map[plumbing.Hash]bool
}

// Len returns the number of objects.
func (o *Objects) Len() int { return len(o.Hashes) }

// add records h (with delta base, zero for none) and reports whether it is
// new to the set.
func (o *Objects) add(h, base plumbing.Hash) bool {
	if o.sent[h] {
		return false
	}
	o.sent[h] = true
	o.Hashes = append(o.Hashes, h)
	if !base.IsZero() {
		o.bases[h] = base
	}
	return true
}

// Missing returns the objects reachable from wants that a peer holding every
// object reachable from haves lacks. Haves this side does not have are
// ignored (the peer knows commits this side does not).
//
// It walks the commits reachable from wants (annotated tags are followed)
// and stops at commits reachable from haves. Each new commit's tree is
// compared with its parents' trees: entries equal to the entry at the same
// path in a parent are skipped without being read, so the work is
// proportional to the changed paths. Every object of a new commit is thus in
// a parent's tree (held by the peer, or sent too) or sent.
func (r *Repo) Missing(wants, haves []plumbing.Hash) (*Objects, error) {
	s := r.objs
	known, err := ancestors(s, haves)
	if err != nil {
		return nil, err
	}
	out := &Objects{bases: map[plumbing.Hash]plumbing.Hash{}, sent: map[plumbing.Hash]bool{}}
	var newCommits []*object.Commit
	seen := map[plumbing.Hash]bool{}
	stack := append([]plumbing.Hash(nil), wants...)
	for len(stack) > 0 {
		h := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[h] || known[h] {
			continue
		}
		seen[h] = true
		o, err := s.EncodedObject(plumbing.AnyObject, h)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", h, err)
		}
		switch o.Type() {
		case plumbing.CommitObject:
			c, err := object.DecodeCommit(s, o)
			if err != nil {
				return nil, fmt.Errorf("reading commit %s: %w", h, err)
			}
			newCommits = append(newCommits, c)
			stack = append(stack, c.ParentHashes...)
		case plumbing.TagObject:
			// An annotated tag (git tag -a): send it and what it names.
			t, err := object.DecodeTag(s, o)
			if err != nil {
				return nil, fmt.Errorf("reading tag %s: %w", h, err)
			}
			out.add(h, plumbing.ZeroHash)
			stack = append(stack, t.Target)
		case plumbing.TreeObject:
			if err := diffTrees(s, h, nil, out); err != nil {
				return nil, err
			}
		default:
			out.add(h, plumbing.ZeroHash)
		}
	}

	// Oldest first, so that a delta base sent in the pack precedes its
	// deltas.
	for i := len(newCommits) - 1; i >= 0; i-- {
		c := newCommits[i]
		out.add(c.Hash, plumbing.ZeroHash)
		var bases []plumbing.Hash
		for _, ph := range c.ParentHashes {
			p, err := object.GetCommit(s, ph)
			if err != nil {
				return nil, fmt.Errorf("reading commit %s: %w", ph, err)
			}
			bases = append(bases, p.TreeHash)
		}
		if err := diffTrees(s, c.TreeHash, bases, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ancestors returns the commits reachable from roots (commits, or tags
// naming them) that are stored in s.
func ancestors(s storer.EncodedObjectStorer, roots []plumbing.Hash) (map[plumbing.Hash]bool, error) {
	out := map[plumbing.Hash]bool{}
	stack := append([]plumbing.Hash(nil), roots...)
	for len(stack) > 0 {
		h := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if out[h] {
			continue
		}
		o, err := s.EncodedObject(plumbing.AnyObject, h)
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", h, err)
		}
		switch o.Type() {
		case plumbing.CommitObject:
			c, err := object.DecodeCommit(s, o)
			if err != nil {
				return nil, fmt.Errorf("reading commit %s: %w", h, err)
			}
			out[h] = true
			stack = append(stack, c.ParentHashes...)
		case plumbing.TagObject:
			t, err := object.DecodeTag(s, o)
			if err != nil {
				return nil, fmt.Errorf("reading tag %s: %w", h, err)
			}
			stack = append(stack, t.Target)
		}
	}
	return out, nil
}

// diffTrees adds to out tree and every object under it that is in none of
// the trees bases (a commit's parents' trees, at the same path), each with
// the object it replaces as delta base. An object equal to the one at its
// path in any base is skipped unread: the receiver has it, or gets it with
// that base. Subtrees already in out are not walked again.
func diffTrees(s storer.EncodedObjectStorer, tree plumbing.Hash, bases []plumbing.Hash, out *Objects) error {
	var first plumbing.Hash
	if len(bases) > 0 {
		first = bases[0]
	}
	for _, b := range bases {
		if b == tree {
			return nil
		}
	}
	if !out.add(tree, first) {
		return nil
	}
	t, err := object.GetTree(s, tree)
	if err != nil {
		return fmt.Errorf("reading tree %s: %w", tree, err)
	}
	old := make([]map[string]object.TreeEntry, 0, len(bases))
	for _, bh := range bases {
		b, err := object.GetTree(s, bh)
		if err != nil {
			return fmt.Errorf("reading tree %s: %w", bh, err)
		}
		m := make(map[string]object.TreeEntry, len(b.Entries))
		for _, e := range b.Entries {
			m[e.Name] = e
		}
		old = append(old, m)
	}
entries:
	for _, e := range t.Entries {
		var subBases []plumbing.Hash
		var prev plumbing.Hash
		for _, m := range old {
			o, had := m[e.Name]
			if !had {
				continue
			}
			if o.Hash == e.Hash {
				continue entries
			}
			if (o.Mode == filemode.Dir) != (e.Mode == filemode.Dir) || o.Mode == filemode.Submodule {
				continue
			}
			if prev.IsZero() {
				prev = o.Hash
			}
			if o.Mode == filemode.Dir {
				subBases = append(subBases, o.Hash)
			}
		}
		switch {
		case e.Mode == filemode.Submodule:
			// A gitlink names a commit in another repository: not ours to send.
		case e.Mode == filemode.Dir:
			if err := diffTrees(s, e.Hash, subBases, out); err != nil {
				return err
			}
		default:
			out.add(e.Hash, prev)
		}
	}
	return nil
}
