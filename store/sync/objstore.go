package sync

import (
	"errors"
	"fmt"
	"io"
	stdsync "sync"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/storer"

	"github.com/gobi-os/gobi/store/backend"
)

// flushBytes bounds the objects a pack being received holds in memory
// before they are handed to the backend (which writes them as one pack).
// cacheBytes bounds the objects kept after reading: a transfer reads each
// tree when diffing and again when packing, and deltas read their bases.
const (
	flushBytes = 64 << 20
	cacheBytes = 64 << 20
)

// objectStore presents a store's backend to go-git's pack encoder and
// parser (storer.EncodedObjectStorer), so packs are read from and written
// through the same backend the store uses — its caches, its view of packs
// written by other processes, its durability rules. Objects set by the
// parser are buffered and stored in batches.
type objectStore struct {
	st backend.Storage

	mu      stdsync.Mutex
	pending map[plumbing.Hash]backend.Object // set but not yet stored
	order   []plumbing.Hash
	size    int
	cache   map[plumbing.Hash]backend.Object // read recently; dropped whole when full
	cached  int
}

func newObjectStore(st backend.Storage) *objectStore {
	return &objectStore{st: st, pending: map[plumbing.Hash]backend.Object{}, cache: map[plumbing.Hash]backend.Object{}}
}

// NewEncodedObject implements storer.EncodedObjectStorer.
func (o *objectStore) NewEncodedObject() plumbing.EncodedObject { return &plumbing.MemoryObject{} }

// SetEncodedObject implements storer.EncodedObjectStorer: obj is buffered
// until flush.
func (o *objectStore) SetEncodedObject(obj plumbing.EncodedObject) (plumbing.Hash, error) {
	r, err := obj.Reader()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	data, err := io.ReadAll(r)
	r.Close()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	bo := backend.Object{Type: backend.ObjectType(obj.Type()), Data: data}
	h := plumbing.Hash(bo.Hash())
	o.mu.Lock()
	if _, ok := o.pending[h]; !ok {
		o.pending[h] = bo
		o.order = append(o.order, h)
		o.size += len(data)
	}
	full := o.size >= flushBytes
	o.mu.Unlock()
	if full {
		return h, o.flush()
	}
	return h, nil
}

// flush stores the buffered objects.
func (o *objectStore) flush() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.order) == 0 {
		return nil
	}
	objs := make([]backend.Object, len(o.order))
	for i, h := range o.order {
		objs[i] = o.pending[h]
	}
	if err := o.st.PutObjects(objs); err != nil {
		return fmt.Errorf("storing %d received objects: %w", len(objs), err)
	}
	o.pending, o.order, o.size = map[plumbing.Hash]backend.Object{}, nil, 0
	return nil
}

// get returns the object h, buffered or stored.
func (o *objectStore) get(h plumbing.Hash) (backend.Object, error) {
	o.mu.Lock()
	bo, ok := o.pending[h]
	if !ok {
		bo, ok = o.cache[h]
	}
	o.mu.Unlock()
	if ok {
		return bo, nil
	}
	bo, err := o.st.GetObject(backend.Hash(h))
	if errors.Is(err, backend.ErrNotFound) {
		return bo, plumbing.ErrObjectNotFound
	}
	if err != nil {
		return bo, err
	}
	o.mu.Lock()
	if o.cached+len(bo.Data) > cacheBytes {
		o.cache, o.cached = map[plumbing.Hash]backend.Object{}, 0
	}
	o.cache[h] = bo
	o.cached += len(bo.Data)
	o.mu.Unlock()
	return bo, nil
}

// EncodedObject implements storer.EncodedObjectStorer.
func (o *objectStore) EncodedObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	bo, err := o.get(h)
	if err != nil {
		return nil, err
	}
	if t != plumbing.AnyObject && plumbing.ObjectType(bo.Type) != t {
		return nil, plumbing.ErrObjectNotFound
	}
	mo := &plumbing.MemoryObject{}
	mo.SetType(plumbing.ObjectType(bo.Type))
	mo.Write(bo.Data)
	return mo, nil
}

// HasEncodedObject implements storer.EncodedObjectStorer.
func (o *objectStore) HasEncodedObject(h plumbing.Hash) error {
	o.mu.Lock()
	_, ok := o.pending[h]
	o.mu.Unlock()
	if ok {
		return nil
	}
	has, err := o.st.HasObject(backend.Hash(h))
	if err != nil {
		return err
	}
	if !has {
		return plumbing.ErrObjectNotFound
	}
	return nil
}

// EncodedObjectSize implements storer.EncodedObjectStorer.
func (o *objectStore) EncodedObjectSize(h plumbing.Hash) (int64, error) {
	bo, err := o.get(h)
	return int64(len(bo.Data)), err
}

// errNoIteration: the backend contract has no object listing, and no
// transfer needs one.
var errNoIteration = errors.New("listing every object is not supported")

// IterEncodedObjects implements storer.EncodedObjectStorer.
func (o *objectStore) IterEncodedObjects(plumbing.ObjectType) (storer.EncodedObjectIter, error) {
	return nil, errNoIteration
}

// AddAlternate implements storer.EncodedObjectStorer.
func (o *objectStore) AddAlternate(string) error {
	return errors.New("alternates are not supported")
}
