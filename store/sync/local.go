package sync

import (
	"errors"
	"fmt"
	"io"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"

	"github.com/gobi-os/gobi/store"
	"github.com/gobi-os/gobi/store/backend"
)

// Repo is a store as a transfer sees it: references, moved through the
// store's compare-and-swap so watches fire and concurrent writers are
// safe, and objects, read and written through the store's backend by
// go-git's pack encoder and parser. The server package answers fetches and
// pushes with it.
type Repo struct {
	st   *store.Store
	objs *objectStore
}

// OpenRepo wraps st. Any backend works; named remotes need a store in a Git
// directory, whose config file records them.
func OpenRepo(st *store.Store) *Repo {
	return &Repo{st: st, objs: newObjectStore(st.Storage())}
}

// Has reports whether the object h is stored.
func (r *Repo) Has(h plumbing.Hash) bool {
	return r.objs.HasEncodedObject(h) == nil
}

// ReadPack stores the objects of the packfile read from pack. Thin packs,
// whose deltas refer to objects outside the pack, are resolved against the
// store.
func (r *Repo) ReadPack(pack io.Reader) error {
	p, err := packfile.NewParserWithStorage(packfile.NewScanner(pack), r.objs)
	if err != nil {
		return err
	}
	if _, err := p.Parse(); err != nil {
		return fmt.Errorf("reading received pack: %w", err)
	}
	return r.objs.flush()
}

// Refs returns the references under prefix by full name.
func (r *Repo) Refs(prefix string) (map[string]plumbing.Hash, error) {
	list, err := r.st.Storage().Refs(prefix)
	if err != nil {
		return nil, err
	}
	out := make(map[string]plumbing.Hash, len(list))
	for _, ref := range list {
		out[ref.Name] = plumbing.Hash(ref.Hash)
	}
	return out, nil
}

// SetRef moves reference name from old to new by compare-and-swap (zero old:
// create; zero new: delete). Branches go through the store so watches fire.
func (r *Repo) SetRef(name string, old, new plumbing.Hash) error {
	if branch, ok := branchName(name); ok {
		return r.st.SetHead(branch, backend.Hash(old), backend.Hash(new))
	}
	return r.st.Storage().CompareAndSwapRef(name, backend.Hash(old), backend.Hash(new))
}

// ref returns the hash reference name points to, zero if it does not exist.
func (r *Repo) ref(name string) (plumbing.Hash, error) {
	h, err := r.st.Storage().Ref(name)
	if errors.Is(err, backend.ErrNotFound) {
		return plumbing.ZeroHash, nil
	}
	return plumbing.Hash(h), err
}
