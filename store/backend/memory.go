package backend

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Memory is a Storage held in memory, for tests and for programs that need
// no persistence. It is safe for concurrent use.
type Memory struct {
	mu      sync.RWMutex
	objects map[Hash]Object
	refs    map[string]Hash
	head    string
}

// NewMemory returns an empty Memory whose HEAD points to
// refs/heads/<defaultBranch>.
func NewMemory(defaultBranch string) *Memory {
	return &Memory{objects: map[Hash]Object{}, refs: map[string]Hash{}, head: "refs/heads/" + defaultBranch}
}

// GetObject implements Storage.
func (m *Memory) GetObject(h Hash) (Object, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	o, ok := m.objects[h]
	if !ok {
		return Object{}, fmt.Errorf("object %s: %w", h, ErrNotFound)
	}
	return o, nil
}

// HasObject implements Storage.
func (m *Memory) HasObject(h Hash) (bool, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	_, ok := m.objects[h]
	return ok, nil
}

// PutObjects implements Storage.
func (m *Memory) PutObjects(objs []Object) error {
	hashes := make([]Hash, len(objs))
	for i, o := range objs {
		hashes[i] = o.Hash()
	}
	return m.PutHashed(objs, hashes)
}

// PutHashed implements HashedPutter.
func (m *Memory) PutHashed(objs []Object, hashes []Hash) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, o := range objs {
		m.objects[hashes[i]] = o
	}
	return nil
}

// Ref implements Storage.
func (m *Memory) Ref(name string) (Hash, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	h, ok := m.refs[name]
	if !ok {
		return Hash{}, fmt.Errorf("reference %s: %w", name, ErrNotFound)
	}
	return h, nil
}

// Refs implements Storage.
func (m *Memory) Refs(prefix string) ([]Ref, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []Ref
	for name, h := range m.refs {
		if strings.HasPrefix(name, prefix) {
			out = append(out, Ref{Name: name, Hash: h})
		}
	}
	slices.SortFunc(out, func(a, b Ref) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// CompareAndSwapRef implements Storage.
func (m *Memory) CompareAndSwapRef(name string, old, new Hash) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if cur := m.refs[name]; cur != old {
		return fmt.Errorf("reference %s is at %s, expected %s: %w", name, cur, old, ErrRefChanged)
	}
	if new.IsZero() {
		delete(m.refs, name)
	} else {
		m.refs[name] = new
	}
	return nil
}

// SymbolicRef implements Storage; only HEAD is symbolic.
func (m *Memory) SymbolicRef(name string) (string, error) {
	if name != "HEAD" {
		return "", fmt.Errorf("symbolic reference %s: %w", name, ErrNotFound)
	}
	return m.head, nil
}

// Refresh implements Storage; a Memory has no other writers.
func (m *Memory) Refresh() error { return nil }

// Close implements Storage.
func (m *Memory) Close() error { return nil }

// FindPrefix implements PrefixFinder.
func (m *Memory) FindPrefix(prefix string, limit int) ([]Hash, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []Hash
	for h := range m.objects {
		if len(out) < limit && strings.HasPrefix(h.String(), prefix) {
			out = append(out, h)
		}
	}
	return out, nil
}
