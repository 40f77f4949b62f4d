package store

import (
	"fmt"
	"sync"

	"github.com/gobi-os/gobi/store/backend"
)

// objectCache keeps parsed trees and commits. Objects are immutable, so a
// cached parse never goes stale. Two generations bound its size without
// per-entry bookkeeping: when the young map holds cacheGeneration bytes
// (estimated), it becomes the old one, and entries used again are promoted
// back. The cache thus holds between one and two generations.
type objectCache struct {
	mu         sync.Mutex
	young, old map[Hash]cached
	youngSize  int
}

type cached struct {
	v    any
	size int
}

// cacheGeneration is the estimated bytes of parsed objects per generation.
const cacheGeneration = 32 << 20

func newObjectCache() *objectCache { return &objectCache{young: map[Hash]cached{}} }

func (c *objectCache) get(h Hash) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.young[h]; ok {
		return e.v, true
	}
	if e, ok := c.old[h]; ok {
		c.putLocked(h, e)
		return e.v, true
	}
	return nil, false
}

// put caches v, the parse of an object of about size bytes.
func (c *objectCache) put(h Hash, v any, size int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(h, cached{v, size + 64})
}

func (c *objectCache) putLocked(h Hash, e cached) {
	if c.youngSize+e.size > cacheGeneration && len(c.young) > 0 {
		c.old, c.young, c.youngSize = c.young, make(map[Hash]cached), 0
	}
	c.young[h] = e
	c.youngSize += e.size
}

// getObject reads an object and checks its type.
func (s *Store) getObject(h Hash, want backend.ObjectType) ([]byte, error) {
	o, err := s.st.GetObject(h)
	if err != nil {
		return nil, fmt.Errorf("reading %s %s: %w", want, h, err)
	}
	if o.Type != want {
		return nil, fmt.Errorf("object %s is a %s, want a %s", h, o.Type, want)
	}
	return o.Data, nil
}

// readTree returns the parsed entries of a stored tree; callers must not
// modify them.
func (s *Store) readTree(h Hash) ([]treeEntry, error) {
	if h == emptyTreeHash {
		return nil, nil
	}
	if v, ok := s.cache.get(h); ok {
		if es, ok := v.([]treeEntry); ok {
			return es, nil
		}
	}
	data, err := s.getObject(h, backend.TreeObject)
	if err != nil {
		return nil, err
	}
	es, err := parseTree(data)
	if err != nil {
		return nil, fmt.Errorf("tree %s: %w", h, err)
	}
	s.cache.put(h, es, len(data)+len(es)*32) // entries plus their slice
	return es, nil
}

// ReadCommit returns the commit named h.
func (s *Store) ReadCommit(h Hash) (*Commit, error) {
	if v, ok := s.cache.get(h); ok {
		if c, ok := v.(*Commit); ok {
			return c, nil
		}
	}
	data, err := s.getObject(h, backend.CommitObject)
	if err != nil {
		return nil, err
	}
	c, err := parseCommit(h, data)
	if err != nil {
		return nil, err
	}
	s.cache.put(h, c, len(data))
	return c, nil
}

// readValue reads and decodes a value blob.
func (s *Store) readValue(h Hash) (Value, error) {
	data, err := s.getObject(h, backend.BlobObject)
	if err != nil {
		return Value{}, err
	}
	v, err := DecodeValue(data)
	if err != nil {
		return Value{}, fmt.Errorf("blob %s: %w", h, err)
	}
	return v, nil
}

// emptyTreeHash names the empty tree, which needs no stored object.
var emptyTreeHash = backend.HashObject(backend.TreeObject, nil)
