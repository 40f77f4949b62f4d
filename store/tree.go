package store

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gobi-os/gobi/store/backend"
)

// Tree is a lazy, copy-on-write view of a Git tree: the key space of one
// commit, or one being built. Reads load only the tree objects on the path;
// writes copy only those nodes and keep new objects in memory until Store
// commits the tree. A Tree is not safe for concurrent use; Clone it to hand
// it to another goroutine.
type Tree struct {
	s       *Store
	root    *node
	pending map[Hash]backend.Object // new blobs and trees, not yet stored
}

// node is one directory of a Tree: a stored tree (hash, base) plus an
// overlay of changed entries.
type node struct {
	hash    Hash // the tree this node describes while !dirty
	base    []treeEntry
	loaded  bool
	stored  bool // base came from storage, so all below it is stored
	changes map[string]*change
	order   []string // the names in changes, first change first
	dirty   bool
}

// change is an overlay entry: a removal, a new value or link entry, or a
// directory loaded for reading below it or modifying it.
type change struct {
	removed bool
	entry   treeEntry
	child   *node
}

// reservedRoot is the top-level directory holding the store's own records
// (pending conflicts); keys under it are written only by the store.
const reservedRoot = ".gobi"

// EmptyTree returns an empty tree of s.
func (s *Store) EmptyTree() *Tree { return s.treeOf(emptyTreeHash) }

func (s *Store) treeOf(h Hash) *Tree {
	return &Tree{s: s, root: &node{hash: h}, pending: map[Hash]backend.Object{}}
}

// readTree returns the entries of tree h, from t's new objects or storage.
func (t *Tree) readTree(h Hash) ([]treeEntry, error) {
	if o, ok := t.pending[h]; ok {
		return parseTree(o.Data)
	}
	return t.s.readTree(h)
}

func (t *Tree) load(n *node) error {
	if n.loaded {
		return nil
	}
	es, err := t.readTree(n.hash)
	if err != nil {
		return err
	}
	_, fresh := t.pending[n.hash]
	n.base, n.loaded, n.stored = es, true, !fresh
	return nil
}

// lookup returns the current entry called name in n and, for a directory
// already in the overlay, its node.
func (t *Tree) lookup(n *node, name string) (treeEntry, *node, bool, error) {
	if c, ok := n.changes[name]; ok {
		if c.removed {
			return treeEntry{}, nil, false, nil
		}
		if c.child != nil {
			return treeEntry{name: name, mode: modeDir}, c.child, true, nil
		}
		return c.entry, nil, true, nil
	}
	if err := t.load(n); err != nil {
		return treeEntry{}, nil, false, err
	}
	e, ok := findEntry(n.base, name)
	return e, nil, ok, nil
}

// dir returns the node for directory path parts, or nil if absent. With
// create, it makes missing directories and marks the path dirty.
func (t *Tree) dir(parts []string, create bool) (*node, error) {
	n := t.root
	if create {
		n.dirty = true
	}
	for i, name := range parts {
		e, child, ok, err := t.lookup(n, name)
		if err != nil {
			return nil, err
		}
		switch {
		case ok && child != nil:
		case ok && e.isDir():
			child = &node{hash: e.hash}
			if create {
				t.setChange(n, name, &change{child: child})
			}
		case ok:
			return nil, fmt.Errorf("%s holds a value, not a directory", strings.Join(parts[:i+1], "/"))
		case !create:
			return nil, nil
		default:
			child = &node{hash: emptyTreeHash, loaded: true}
			t.setChange(n, name, &change{child: child})
		}
		if create {
			child.dirty = true
		}
		n = child
	}
	return n, nil
}

func (t *Tree) setChange(n *node, name string, c *change) {
	if n.changes == nil {
		n.changes = map[string]*change{}
	}
	if _, ok := n.changes[name]; !ok {
		n.order = append(n.order, name)
	}
	n.changes[name] = c
}

// Get returns the value at key, or an error wrapping ErrNotFound.
func (t *Tree) Get(key string) (Value, error) {
	parts, err := splitKey(key)
	if err != nil {
		return Value{}, err
	}
	n, err := t.dir(parts[:len(parts)-1], false)
	if err != nil {
		return Value{}, fmt.Errorf("get %s: %w", key, err)
	}
	if n == nil {
		return Value{}, fmt.Errorf("get %s: %w", key, ErrNotFound)
	}
	e, _, ok, err := t.lookup(n, parts[len(parts)-1])
	if err != nil {
		return Value{}, fmt.Errorf("get %s: %w", key, err)
	}
	if !ok || !isValue(e.mode) {
		return Value{}, fmt.Errorf("get %s: %w", key, ErrNotFound)
	}
	if o, ok := t.pending[e.hash]; ok {
		return DecodeValue(o.Data)
	}
	return t.s.readValue(e.hash)
}

// Has reports whether key holds a value.
func (t *Tree) Has(key string) (bool, error) {
	_, err := t.Get(key)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Set stores v at key, creating directories on the way. It fails if a
// prefix of key holds a value or key holds a directory. Keys under ".gobi/"
// are reserved for the store's conflict records.
func (t *Tree) Set(key string, v Value) error {
	if key == reservedRoot || strings.HasPrefix(key, reservedRoot+"/") {
		return fmt.Errorf("set %s: keys under %s/ are reserved for the store", key, reservedRoot)
	}
	if _, ok := LookupType(v.Type); !ok {
		return fmt.Errorf("set %s: unknown type %q: register it with store.Register", key, v.Type)
	}
	return t.set(key, v)
}

func (t *Tree) set(key string, v Value) error {
	parts, err := splitKey(key)
	if err != nil {
		return err
	}
	n, err := t.dir(parts[:len(parts)-1], true)
	if err != nil {
		return fmt.Errorf("set %s: %w", key, err)
	}
	name := parts[len(parts)-1]
	if e, _, ok, err := t.lookup(n, name); err != nil {
		return fmt.Errorf("set %s: %w", key, err)
	} else if ok && e.isDir() {
		return fmt.Errorf("set %s: key holds a directory; remove it first", key)
	}
	blob := backend.Object{Type: backend.BlobObject, Data: v.Encode()}
	h := blob.Hash()
	t.pending[h] = blob
	t.setChange(n, name, &change{entry: treeEntry{name: name, mode: modeFile, hash: h}})
	return nil
}

// Remove deletes key, or the whole directory at key; removing an absent
// key does nothing.
func (t *Tree) Remove(key string) error {
	parts, err := splitKey(key)
	if err != nil {
		return err
	}
	n, err := t.dir(parts[:len(parts)-1], false)
	if err != nil || n == nil {
		return err
	}
	name := parts[len(parts)-1]
	if _, _, ok, err := t.lookup(n, name); err != nil || !ok {
		return err
	}
	// The path exists; walk it again attaching its nodes to the overlay.
	if n, err = t.dir(parts[:len(parts)-1], true); err != nil {
		return err
	}
	t.setChange(n, name, &change{removed: true})
	return nil
}

// TestAndSet sets key to new (nil: removes it) only if it holds old (nil:
// is absent); otherwise it returns an error wrapping ErrTestAndSet. Inside
// Store.Update this is an atomic test-and-set against concurrent writers.
func (t *Tree) TestAndSet(key string, old, new *Value) error {
	cur, err := t.Get(key)
	switch {
	case errors.Is(err, ErrNotFound):
		if old != nil {
			return fmt.Errorf("test-and-set %s: key is absent: %w", key, ErrTestAndSet)
		}
	case err != nil:
		return err
	case old == nil || !cur.Equal(*old):
		return fmt.Errorf("test-and-set %s: %w", key, ErrTestAndSet)
	}
	if new == nil {
		return t.Remove(key)
	}
	return t.Set(key, *new)
}

// Hash returns the Git tree hash of t, encoding changed directories.
func (t *Tree) Hash() (Hash, error) {
	h, _, err := t.flush(t.root)
	return h, err
}

// flush computes the hash of a node, encoding it and its changed
// descendants into t.pending. It reports whether the directory is empty;
// empty directories are dropped from their parent, since Git has no empty
// directories.
func (t *Tree) flush(n *node) (Hash, bool, error) {
	if !n.dirty {
		return n.hash, n.hash == emptyTreeHash, nil
	}
	if err := t.load(n); err != nil {
		return Hash{}, false, err
	}
	out := make([]treeEntry, 0, len(n.base)+len(n.changes))
	for _, e := range n.base {
		if _, ok := n.changes[e.name]; !ok {
			out = append(out, e)
		}
	}
	split := len(out)
	// Changes are visited in the order they were made, which for bulk
	// loads is often sorted already: the sort below then runs in linear
	// time.
	for _, name := range n.order {
		c := n.changes[name]
		switch {
		case c.removed:
		case c.child != nil:
			h, empty, err := t.flush(c.child)
			if err != nil {
				return Hash{}, false, err
			}
			if !empty {
				out = append(out, treeEntry{name: name, mode: modeDir, hash: h})
			}
		default:
			out = append(out, c.entry)
		}
	}
	cmpEntries := func(a, b treeEntry) int { return compareNames(a.name, a.isDir(), b.name, b.isDir()) }
	slices.SortFunc(out[split:], cmpEntries)
	merged := make([]treeEntry, 0, len(out))
	i, j := 0, split
	for i < split || j < len(out) {
		if j == len(out) || (i < split && cmpEntries(out[i], out[j]) < 0) {
			merged = append(merged, out[i])
			i++
		} else {
			merged = append(merged, out[j])
			j++
		}
	}
	obj := backend.Object{Type: backend.TreeObject, Data: encodeTree(merged)}
	h := obj.Hash()
	t.pending[h] = obj
	n.hash, n.dirty = h, false
	return h, len(merged) == 0, nil
}

// newObjects returns the objects in t.pending reachable from t's root (as
// last flushed): what a commit of the tree must store. Blobs set and later
// overwritten are left out; a blob under several keys may be listed more
// than once (storage ignores repeats). It follows the overlay nodes, so
// the unchanged entries of a stored directory are not visited; trees that
// exist only in pending without a node (from a merge) are decoded. The
// second result holds the objects' names.
func (t *Tree) newObjects() ([]backend.Object, []Hash, error) {
	var out []backend.Object
	var names []Hash
	seenTrees := map[Hash]bool{}
	take := func(h Hash) (backend.Object, bool) {
		o, ok := t.pending[h]
		if !ok || (o.Type == backend.TreeObject && seenTrees[h]) {
			return o, false
		}
		if o.Type == backend.TreeObject {
			seenTrees[h] = true
		}
		out = append(out, o)
		names = append(names, h)
		return o, true
	}
	var walkHash func(h Hash) error
	walkHash = func(h Hash) error {
		o, ok := take(h)
		if !ok || o.Type != backend.TreeObject {
			return nil
		}
		es, err := parseTree(o.Data)
		if err != nil {
			return err
		}
		for _, e := range es {
			if err := walkHash(e.hash); err != nil {
				return err
			}
		}
		return nil
	}
	var walkNode func(n *node) error
	walkNode = func(n *node) error {
		if !n.loaded {
			return walkHash(n.hash)
		}
		if _, ok := take(n.hash); !ok {
			return nil
		}
		for _, e := range n.base {
			if n.stored {
				break
			}
			if _, changed := n.changes[e.name]; !changed {
				if err := walkHash(e.hash); err != nil {
					return err
				}
			}
		}
		for _, c := range n.changes {
			var err error
			switch {
			case c.removed:
			case c.child != nil:
				err = walkNode(c.child)
			default:
				take(c.entry.hash)
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	if err := walkNode(t.root); err != nil {
		return nil, nil, err
	}
	if t.root.hash == emptyTreeHash && len(out) == 0 {
		out, names = append(out, backend.Object{Type: backend.TreeObject}), append(names, emptyTreeHash)
	}
	return out, names, nil
}

// Clone returns an independent copy of t; both may be changed separately.
func (t *Tree) Clone() (*Tree, error) {
	h, err := t.Hash()
	if err != nil {
		return nil, err
	}
	c := t.s.treeOf(h)
	for k, o := range t.pending {
		c.pending[k] = o
	}
	return c, nil
}

// Entry is one name in a directory listing.
type Entry struct {
	Name string // the last path segment
	Dir  bool   // a directory rather than a value
}

// List returns the entries of directory dir ("" for the root), in Git order.
func (t *Tree) List(dir string) ([]Entry, error) {
	es, err := t.dirEntries(dir)
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(es))
	for _, e := range es {
		if e.isDir() || isValue(e.mode) {
			out = append(out, Entry{Name: e.name, Dir: e.isDir()})
		}
	}
	return out, nil
}

// dirEntries returns the stored entries of directory dir after a flush.
func (t *Tree) dirEntries(dir string) ([]treeEntry, error) {
	h, err := t.Hash()
	if err != nil {
		return nil, err
	}
	if dir == "" {
		return t.readTree(h)
	}
	parts, err := splitKey(dir)
	if err != nil {
		return nil, err
	}
	for _, p := range parts {
		es, err := t.readTree(h)
		if err != nil {
			return nil, err
		}
		e, ok := findEntry(es, p)
		if !ok || !e.isDir() {
			return nil, fmt.Errorf("list %s: %w", dir, ErrNotFound)
		}
		h = e.hash
	}
	return t.readTree(h)
}

// Walk calls fn for every key under prefix ("" for all) in Git order — a
// fold over the tree. A prefix naming a value visits just that key. An
// error from fn stops the walk and is returned.
func (t *Tree) Walk(prefix string, fn func(key string, v Value) error) error {
	if prefix != "" {
		if v, err := t.Get(prefix); err == nil {
			return fn(prefix, v)
		}
	}
	es, err := t.dirEntries(prefix)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return t.walk(es, prefix, fn)
}

func (t *Tree) walk(es []treeEntry, dir string, fn func(string, Value) error) error {
	for _, e := range es {
		key := e.name
		if dir != "" {
			key = dir + "/" + e.name
		}
		switch {
		case e.isDir():
			sub, err := t.readTree(e.hash)
			if err != nil {
				return err
			}
			if err := t.walk(sub, key, fn); err != nil {
				return err
			}
		case isValue(e.mode):
			v, err := t.value(e.hash)
			if err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
			if err := fn(key, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// value reads a value blob from t's new objects or storage.
func (t *Tree) value(h Hash) (Value, error) {
	if o, ok := t.pending[h]; ok {
		return DecodeValue(o.Data)
	}
	return t.s.readValue(h)
}
