package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gobi-os/gobi/store/backend"
)

// MergeResult reports what Merge did.
type MergeResult struct {
	// Commit is the branch head after the merge.
	Commit Hash
	// UpToDate means the merged commit was already in the branch's history;
	// FastForward means the branch simply moved to it. Otherwise a merge
	// commit with two parents was made.
	UpToDate, FastForward bool
	// Conflicts lists the keys left unmerged. The merge commit then keeps
	// ours at each such key and holds a pending-conflict record for it.
	Conflicts []Conflict
}

// Merge merges rev (a branch, tag or commit hash) into branch into.
func (s *Store) Merge(ctx context.Context, into, rev string, info CommitInfo) (*MergeResult, error) {
	h, err := s.Rev(rev)
	if err != nil {
		return nil, err
	}
	if info.Message == "" {
		info.Message = fmt.Sprintf("merge %s into %s", rev, into)
	}
	return s.MergeCommit(ctx, into, h, info)
}

// MergeCommit merges commit into branch into; sync calls it after fetching
// a remote's objects. If into does not exist it is created at commit. The
// branch moves by compare-and-swap, retrying the merge if another writer
// moved it first.
func (s *Store) MergeCommit(ctx context.Context, into string, commit Hash, info CommitInfo) (*MergeResult, error) {
	if err := CheckBranchName(into); err != nil {
		return nil, err
	}
	theirs, err := s.ReadCommit(commit)
	if err != nil {
		return nil, err
	}
	if info.Message == "" {
		info.Message = fmt.Sprintf("merge %s into %s", commit, into)
	}
	deadline := time.Now().Add(s.opts.RetryTimeout)
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		res, err := s.mergeOnce(into, theirs, info)
		if err == nil {
			s.notify()
			return res, nil
		}
		if !errors.Is(err, ErrRefChanged) || time.Now().After(deadline) {
			return nil, fmt.Errorf("merging into %s: %w", into, err)
		}
		backoff(ctx, attempt)
	}
}

func (s *Store) mergeOnce(into string, theirs *Commit, info CommitInfo) (*MergeResult, error) {
	ref := branchPrefix + into
	head, err := s.st.Ref(ref)
	if errors.Is(err, ErrNotFound) {
		if err := s.st.CompareAndSwapRef(ref, Hash{}, theirs.Hash); err != nil {
			return nil, err
		}
		return &MergeResult{Commit: theirs.Hash, FastForward: true}, nil
	}
	if err != nil {
		return nil, err
	}
	base, err := s.MergeBase(head, theirs.Hash)
	if err != nil {
		return nil, err
	}
	switch base {
	case theirs.Hash:
		return &MergeResult{Commit: head, UpToDate: true}, nil
	case head:
		if err := s.st.CompareAndSwapRef(ref, head, theirs.Hash); err != nil {
			return nil, err
		}
		return &MergeResult{Commit: theirs.Hash, FastForward: true}, nil
	}
	ours, err := s.ReadCommit(head)
	if err != nil {
		return nil, err
	}
	baseTree := emptyTreeHash
	if !base.IsZero() {
		bc, err := s.ReadCommit(base)
		if err != nil {
			return nil, err
		}
		baseTree = bc.Tree
	}
	m := &merger{s: s, pending: map[Hash]backend.Object{}, commits: [3]Hash{base, head, theirs.Hash}}
	root, err := m.tree("", baseTree, ours.Tree, theirs.Tree)
	if err != nil {
		return nil, err
	}
	t := &Tree{s: s, root: &node{hash: root}, pending: m.pending}
	var c Hash
	if len(m.conflicts) == 0 {
		// Every object the merger made is reachable from root: store them
		// as they are rather than walking the result to find them.
		objs := make([]backend.Object, 0, len(m.pending)+1)
		names := make([]Hash, 0, len(m.pending)+1)
		for h, o := range m.pending {
			objs, names = append(objs, o), append(names, h)
		}
		if root == emptyTreeHash {
			objs, names = append(objs, backend.Object{Type: backend.TreeObject}), append(names, emptyTreeHash)
		}
		c, err = s.writeCommitObjects(objs, names, root, []Hash{head, theirs.Hash}, info)
	} else {
		for _, cf := range m.conflicts {
			if err := t.set(conflictKey(cf.Path), Bytes(EncodeConflict(cf))); err != nil {
				return nil, err
			}
		}
		c, err = s.WriteCommit(t, []Hash{head, theirs.Hash}, info)
	}
	if err != nil {
		return nil, err
	}
	if err := s.st.CompareAndSwapRef(ref, head, c); err != nil {
		return nil, err
	}
	return &MergeResult{Commit: c, Conflicts: m.conflicts}, nil
}

// MergeTrees merges trees ours and theirs from their common base without
// committing anything: the merged tree keeps ours at each conflicting key
// and carries no conflict records.
func (s *Store) MergeTrees(base, ours, theirs *Tree) (*Tree, []Conflict, error) {
	m := &merger{s: s, pending: map[Hash]backend.Object{}}
	var hs [3]Hash
	for i, t := range []*Tree{base, ours, theirs} {
		h, err := t.Hash()
		if err != nil {
			return nil, nil, err
		}
		hs[i] = h
		m.inputs = append(m.inputs, t)
	}
	root, err := m.tree("", hs[0], hs[1], hs[2])
	if err != nil {
		return nil, nil, err
	}
	return &Tree{s: s, root: &node{hash: root}, pending: m.pending}, m.conflicts, nil
}

// merger is one three-way merge of trees. It reads only the subtrees whose
// hashes differ between the sides, so its cost follows the changes, not
// the size of the store.
type merger struct {
	s         *Store
	inputs    []*Tree // trees whose new objects the merge may read
	pending   map[Hash]backend.Object
	conflicts []Conflict
	commits   [3]Hash
}

func (m *merger) readTree(h Hash) ([]treeEntry, error) {
	if o, ok := m.pending[h]; ok {
		return parseTree(o.Data)
	}
	for _, t := range m.inputs {
		if _, ok := t.pending[h]; ok {
			return t.readTree(h)
		}
	}
	return m.s.readTree(h)
}

func (m *merger) value(h Hash) (Value, error) {
	for _, t := range m.inputs {
		if o, ok := t.pending[h]; ok {
			return DecodeValue(o.Data)
		}
	}
	return m.s.readValue(h)
}

// tree merges three versions of the directory at path and returns the
// merged tree's hash.
func (m *merger) tree(path string, b, o, t Hash) (Hash, error) {
	switch {
	case o == t, b == t:
		return o, nil
	case b == o:
		return t, nil
	}
	var sides [3][]treeEntry
	for i, h := range []Hash{b, o, t} {
		es, err := m.readTree(h)
		if err != nil {
			return Hash{}, err
		}
		sides[i] = es
	}
	// Walk the three sorted entry lists together. A name that is a value
	// on one side and a directory on another sits at two places in Git
	// order; it is merged at the first and skipped at the second.
	var out []treeEntry
	var pos [3]int
	var mixed map[string]bool
	for {
		var first *treeEntry
		for k, es := range sides {
			if pos[k] < len(es) {
				if e := &es[pos[k]]; first == nil || compareNames(e.name, e.isDir(), first.name, first.isDir()) < 0 {
					first = e
				}
			}
		}
		if first == nil {
			break
		}
		name, dir := first.name, first.isDir()
		var tr [3]*treeEntry
		for k, es := range sides {
			if pos[k] < len(es) && es[pos[k]].name == name && es[pos[k]].isDir() == dir {
				tr[k] = &es[pos[k]]
				pos[k]++
			}
		}
		isMixed := false
		for k, es := range sides {
			if tr[k] == nil {
				if e, ok := findEntry(es, name); ok {
					tr[k], isMixed = &e, true
				}
			}
		}
		if isMixed {
			if mixed[name] {
				continue
			}
			if mixed == nil {
				mixed = map[string]bool{}
			}
			mixed[name] = true
		}
		p := name
		if path != "" {
			p = path + "/" + name
		}
		e, err := m.entry(p, tr[0], tr[1], tr[2])
		if err != nil {
			return Hash{}, err
		}
		if e != nil {
			e.name = name
			out = append(out, *e)
		}
	}
	if len(out) == 0 {
		return emptyTreeHash, nil
	}
	if mixed != nil {
		// A merged entry may have changed kind, and so its place.
		slices.SortFunc(out, func(a, b treeEntry) int { return compareNames(a.name, a.isDir(), b.name, b.isDir()) })
	}
	obj := backend.Object{Type: backend.TreeObject, Data: encodeTree(out)}
	h := obj.Hash()
	m.pending[h] = obj
	return h, nil
}

func sameEntry(a, b *treeEntry) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.mode == b.mode && a.hash == b.hash
}

// entry merges one name of a directory; nil means absent from the result.
func (m *merger) entry(path string, b, o, t *treeEntry) (*treeEntry, error) {
	switch {
	case sameEntry(o, t), sameEntry(b, t):
		return o, nil
	case sameEntry(b, o):
		return t, nil
	}
	isDir := func(e *treeEntry) bool { return e != nil && e.isDir() }
	isVal := func(e *treeEntry) bool { return e != nil && isValue(e.mode) }
	// Both sides changed. Directories merge recursively, a removed side
	// counting as an empty directory so that every key below conflicts or
	// merges on its own.
	if (isDir(o) || o == nil) && (isDir(t) || t == nil) && (isDir(b) || b == nil || isDir(o) && isDir(t)) {
		dirHash := func(e *treeEntry) Hash {
			if isDir(e) {
				return e.hash
			}
			return emptyTreeHash
		}
		h, err := m.tree(path, dirHash(b), dirHash(o), dirHash(t))
		if err != nil || h == emptyTreeHash {
			return nil, err
		}
		return &treeEntry{mode: modeDir, hash: h}, nil
	}
	if isVal(o) && isVal(t) {
		var base *Value
		if isVal(b) {
			v, err := m.value(b.hash)
			if err != nil {
				return nil, err
			}
			base = &v
		}
		ov, err := m.value(o.hash)
		if err != nil {
			return nil, err
		}
		tv, err := m.value(t.hash)
		if err != nil {
			return nil, err
		}
		merged, merr := mergeValues(base, ov, tv)
		if merr == nil {
			blob := backend.Object{Type: backend.BlobObject, Data: merged.Encode()}
			h := blob.Hash()
			m.pending[h] = blob
			return &treeEntry{mode: modeFile, hash: h}, nil
		}
		return o, m.conflict(path, merr.Error(), b, o, t)
	}
	var reason string
	switch {
	case o == nil || t == nil:
		reason = "removed on one side, changed on the other"
	case isDir(o) != isDir(t):
		reason = "a value on one side, a directory on the other"
	default:
		reason = "both sides changed a link entry differently"
	}
	return o, m.conflict(path, reason, b, o, t)
}

// conflict records a conflict at path. Records of the store's own
// conflict directory never get records themselves: a pending conflict
// stays pending whichever side's record is kept.
func (m *merger) conflict(path, reason string, b, o, t *treeEntry) error {
	if strings.HasPrefix(path, reservedRoot+"/") {
		return nil
	}
	c := Conflict{Path: path, Reason: reason, BaseCommit: m.commits[0], OursCommit: m.commits[1], TheirsCommit: m.commits[2]}
	for _, f := range []struct {
		dst **Value
		e   *treeEntry
	}{{&c.Base, b}, {&c.Ours, o}, {&c.Theirs, t}} {
		if f.e != nil && isValue(f.e.mode) {
			v, err := m.value(f.e.hash)
			if err != nil {
				return err
			}
			*f.dst = &v
		}
	}
	m.conflicts = append(m.conflicts, c)
	return nil
}
