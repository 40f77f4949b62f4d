package main

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// gogitTrace runs the trace with go-git directly, the way a careful go-git
// user would: a bare repository with go-git's filesystem storage (its
// default object cache), reads through object.Tree.FindEntry on the
// committed root (which caches the subtrees it walks) after the commit's own
// pending writes, and a commit that rewrites only the directories on the
// changed paths, bottom up.
func gogitTrace(dir string, commits int) (*result, error) {
	repo, err := git.PlainInit(dir, true)
	if err != nil {
		return nil, err
	}
	s := repo.Storer
	tr := newTrace(1)
	res := &result{}
	var lat []time.Duration
	var head, root plumbing.Hash
	start := time.Now()
	for i := range commits {
		ops := tr.nextCommit()
		pending := map[string][]byte{} // nil: removed
		var rootTree *object.Tree
		if !root.IsZero() {
			if rootTree, err = object.GetTree(s, root); err != nil {
				return nil, err
			}
		}
		for _, o := range ops {
			switch o.kind {
			case opAdd:
				pending[o.key] = o.val
				res.Adds++
			case opRemove:
				pending[o.key] = nil
				res.Removes++
			case opFind:
				res.Finds++
				if _, ok := pending[o.key]; ok {
					continue
				}
				if rootTree == nil {
					continue
				}
				e, err := rootTree.FindEntry(o.key)
				if errors.Is(err, object.ErrEntryNotFound) || errors.Is(err, object.ErrDirectoryNotFound) {
					continue
				}
				if err != nil {
					return nil, err
				}
				if _, err := readBlob(s, e.Hash); err != nil {
					return nil, err
				}
			}
		}
		c0 := time.Now()
		if root, err = gogitWrite(s, root, pending); err != nil {
			return nil, err
		}
		c := &object.Commit{
			Author:   object.Signature{Name: "gobi", Email: "gobi@localhost", When: time.Now()},
			Message:  fmt.Sprintf("commit %d\n", i),
			TreeHash: root,
		}
		c.Committer = c.Author
		if !head.IsZero() {
			c.ParentHashes = []plumbing.Hash{head}
		}
		obj := s.NewEncodedObject()
		if err := c.Encode(obj); err != nil {
			return nil, err
		}
		if head, err = s.SetEncodedObject(obj); err != nil {
			return nil, err
		}
		if err := s.SetReference(plumbing.NewHashReference("refs/heads/main", head)); err != nil {
			return nil, err
		}
		lat = append(lat, time.Since(c0))
	}
	res.Seconds = time.Since(start).Seconds()
	res.Commits = commits
	res.setLatency(lat)
	return res, nil
}

func readBlob(s storer.EncodedObjectStorer, h plumbing.Hash) ([]byte, error) {
	b, err := object.GetBlob(s, h)
	if err != nil {
		return nil, err
	}
	r, err := b.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// change is the pending writes below one directory.
type change struct {
	dirs map[string]*change
	vals map[string][]byte // nil value: removed
}

func newChange() *change { return &change{dirs: map[string]*change{}, vals: map[string][]byte{}} }

// gogitWrite applies pending to the tree root and returns the new root.
func gogitWrite(s storer.EncodedObjectStorer, root plumbing.Hash, pending map[string][]byte) (plumbing.Hash, error) {
	top := newChange()
	for key, v := range pending {
		parts := strings.Split(key, "/")
		c := top
		for _, p := range parts[:len(parts)-1] {
			next, ok := c.dirs[p]
			if !ok {
				next = newChange()
				c.dirs[p] = next
			}
			c = next
		}
		c.vals[parts[len(parts)-1]] = v
	}
	h, _, err := writeDir(s, root, top)
	return h, err
}

// writeDir rewrites the directory old (zero: new) with the changes in c and
// returns its hash, or empty when no entry is left.
func writeDir(s storer.EncodedObjectStorer, old plumbing.Hash, c *change) (plumbing.Hash, bool, error) {
	entries := map[string]object.TreeEntry{}
	if !old.IsZero() {
		t, err := object.GetTree(s, old)
		if err != nil {
			return plumbing.ZeroHash, false, err
		}
		for _, e := range t.Entries {
			entries[e.Name] = e
		}
	}
	for name, v := range c.vals {
		if v == nil {
			delete(entries, name)
			continue
		}
		obj := s.NewEncodedObject()
		obj.SetType(plumbing.BlobObject)
		w, _ := obj.Writer()
		w.Write(v)
		w.Close()
		h, err := s.SetEncodedObject(obj)
		if err != nil {
			return plumbing.ZeroHash, false, err
		}
		entries[name] = object.TreeEntry{Name: name, Mode: filemode.Regular, Hash: h}
	}
	for name, sub := range c.dirs {
		var subOld plumbing.Hash
		if e, ok := entries[name]; ok && e.Mode == filemode.Dir {
			subOld = e.Hash
		}
		h, empty, err := writeDir(s, subOld, sub)
		if err != nil {
			return plumbing.ZeroHash, false, err
		}
		if empty {
			delete(entries, name)
		} else {
			entries[name] = object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: h}
		}
	}
	if len(entries) == 0 {
		return plumbing.ZeroHash, true, nil
	}
	t := &object.Tree{}
	for _, e := range entries {
		t.Entries = append(t.Entries, e)
	}
	// Git orders tree entries by name, a directory's name as if it ended
	// in '/' (gitformat-tree).
	sortKey := func(e object.TreeEntry) string {
		if e.Mode == filemode.Dir {
			return e.Name + "/"
		}
		return e.Name
	}
	sort.Slice(t.Entries, func(i, j int) bool { return sortKey(t.Entries[i]) < sortKey(t.Entries[j]) })
	obj := s.NewEncodedObject()
	if err := t.Encode(obj); err != nil {
		return plumbing.ZeroHash, false, err
	}
	h, err := s.SetEncodedObject(obj)
	return h, false, err
}
