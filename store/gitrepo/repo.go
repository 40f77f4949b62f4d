// Package gitrepo stores the store's objects and references in a bare Git
// repository directory, in the formats stock git reads and writes: loose
// objects (gitformat-loose), packs with version 2 indexes (gitformat-pack),
// loose refs and packed-refs (gitrepository-layout). It implements
// backend.Storage and runs on Unix hosts (it uses flock(2)).
//
// Crash safety: every file is written under a temporary name, fsynced
// (unless Options.NoSync) and renamed into place; a pack's .pack is renamed
// before its .idx, and git only uses packs that have an index. Objects are
// durable before a reference moves. References move under Git's lock-file
// protocol ("<ref>.lock", then rename), serialized between processes by an
// flock(2) on "gobi.lock" that the kernel drops when a writer dies, so a
// writer killed at any point leaves either the old or the new reference and
// never blocks the others. See README.md for the invariants.
package gitrepo

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/gobi-os/gobi/store/backend"
)

// Options tunes a Repo.
type Options struct {
	// NoSync skips fsync. Crash safety against killed processes does not
	// need fsync; durability across power loss does.
	NoSync bool
}

// Repo is a bare Git repository used as a backend.Storage. It is safe for
// concurrent use by goroutines and by other processes, gobi or git.
type Repo struct {
	dir  string
	opts Options

	mu    sync.RWMutex
	packs []*pack // known packs, newest first
	known map[string]bool

	packedMu sync.Mutex
	packed   packedCache
}

var _ backend.Storage = (*Repo)(nil)

// Init creates a bare repository in dir, which must not exist or be empty,
// with HEAD pointing at refs/heads/<defaultBranch>.
func Init(dir, defaultBranch string, opts Options) (*Repo, error) {
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return nil, fmt.Errorf("init %s: directory is not empty", dir)
	}
	for _, d := range []string{"objects/pack", "objects/info", "refs/heads", "refs/tags"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("init %s: %w", dir, err)
		}
	}
	files := []struct{ name, data string }{
		{"config", "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n"},
		{"description", "Gobi store\n"},
		{"HEAD", "ref: refs/heads/" + defaultBranch + "\n"},
	}
	for _, f := range files {
		if err := writeFileAtomic(filepath.Join(dir, f.name), dir, "tmp_init_", []byte(f.data), 0o644, !opts.NoSync); err != nil {
			return nil, fmt.Errorf("init %s: %w", dir, err)
		}
	}
	return Open(dir, opts)
}

// Open opens the bare repository at dir, or the repository in dir/.git.
func Open(dir string, opts Options) (*Repo, error) {
	if _, err := os.Stat(filepath.Join(dir, ".git", "HEAD")); err == nil {
		dir = filepath.Join(dir, ".git")
	}
	for _, need := range []string{"HEAD", "objects", "refs"} {
		if _, err := os.Stat(filepath.Join(dir, need)); err != nil {
			return nil, fmt.Errorf("open %s: not a Git repository (no %s): create one with `gobi store init %s`", dir, need, dir)
		}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	r := &Repo{dir: abs, opts: opts, known: map[string]bool{}}
	if err := r.Refresh(); err != nil {
		return nil, err
	}
	return r, nil
}

// Dir returns the repository's directory (absolute).
func (r *Repo) Dir() string { return r.dir }

// Close implements backend.Storage.
func (r *Repo) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var errs []error
	for _, p := range r.packs {
		errs = append(errs, p.close())
	}
	r.packs, r.known = nil, map[string]bool{}
	return errors.Join(errs...)
}

// GetObject implements backend.Storage: packs first, then loose objects,
// then — in case another process just wrote or repacked — once more after
// rescanning the pack directory.
func (r *Repo) GetObject(h backend.Hash) (backend.Object, error) {
	for attempt := 0; attempt < 3; attempt++ {
		o, err := r.getObject(h)
		if !errors.Is(err, backend.ErrNotFound) {
			return o, err
		}
		if err := r.Refresh(); err != nil {
			return backend.Object{}, err
		}
	}
	return backend.Object{}, fmt.Errorf("object %s: %w", h, backend.ErrNotFound)
}

func (r *Repo) getObject(h backend.Hash) (backend.Object, error) {
	r.mu.RLock()
	packs := r.packs
	r.mu.RUnlock()
	for _, p := range packs {
		if off, ok := p.idx.find(h); ok {
			o, err := p.object(r, off)
			if err == nil || !errors.Is(err, fs.ErrClosed) {
				return o, err
			}
		}
	}
	return r.readLoose(h)
}

// HasObject implements backend.Storage.
func (r *Repo) HasObject(h backend.Hash) (bool, error) {
	if r.inPacks(h) {
		return true, nil
	}
	if _, err := os.Stat(r.loosePath(h)); err == nil {
		return true, nil
	}
	if err := r.Refresh(); err != nil {
		return false, err
	}
	return r.inPacks(h), nil
}

func (r *Repo) inPacks(h backend.Hash) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, p := range r.packs {
		if _, ok := p.idx.find(h); ok {
			return true
		}
	}
	return false
}

// Refresh implements backend.Storage: it picks up packs added by other
// processes and forgets packs they removed (git gc, git repack).
func (r *Repo) Refresh() error {
	dir := filepath.Join(r.dir, "objects", "pack")
	names, err := filepath.Glob(filepath.Join(dir, "pack-*.idx"))
	if err != nil {
		return err
	}
	present := map[string]bool{}
	for _, n := range names {
		present[n] = true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var keep []*pack
	for _, p := range r.packs {
		if present[p.idxPath] {
			keep = append(keep, p)
		} else {
			p.close()
			delete(r.known, p.idxPath)
		}
	}
	for _, n := range names {
		if r.known[n] {
			continue
		}
		p, err := openPack(n)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed by a concurrent repack
		}
		if err != nil {
			return err
		}
		r.known[n] = true
		keep = append([]*pack{p}, keep...)
	}
	r.packs = keep
	return nil
}

// PutObjects implements backend.Storage.
func (r *Repo) PutObjects(objs []backend.Object) error {
	hashes := make([]backend.Hash, len(objs))
	for i, o := range objs {
		hashes[i] = o.Hash()
	}
	return r.PutHashed(objs, hashes)
}

// PutHashed implements backend.HashedPutter. A handful of objects are
// written loose, as git does for small writes; more go into one new pack,
// which costs two files and two fsyncs however many objects it holds.
func (r *Repo) PutHashed(objs []backend.Object, names []backend.Hash) error {
	var todo []backend.Object
	var hashes []backend.Hash
	seen := make(map[backend.Hash]bool, len(objs))
	for i, o := range objs {
		h := names[i]
		if seen[h] || r.inPacks(h) {
			continue
		}
		seen[h] = true
		todo = append(todo, o)
		hashes = append(hashes, h)
	}
	if len(todo) <= looseLimit {
		return r.writeLoose(todo, hashes)
	}
	return r.writePack(todo, hashes)
}

// looseLimit is the most objects PutObjects writes loose. Creating a file
// is the dominant cost of a small commit on many file systems, and a pack
// takes two (pack and index) however many objects it holds.
const looseLimit = 2

// FindPrefix implements backend.PrefixFinder over packs and loose objects.
func (r *Repo) FindPrefix(prefix string, limit int) ([]backend.Hash, error) {
	if len(prefix) < 2 {
		return nil, fmt.Errorf("object name prefix %q too short", prefix)
	}
	seen := map[backend.Hash]bool{}
	var out []backend.Hash
	add := func(h backend.Hash) {
		if !seen[h] && len(out) < limit {
			seen[h] = true
			out = append(out, h)
		}
	}
	r.mu.RLock()
	for _, p := range r.packs {
		p.idx.findPrefix(prefix, add)
	}
	r.mu.RUnlock()
	names, err := os.ReadDir(filepath.Join(r.dir, "objects", prefix[:2]))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for _, n := range names {
		if h, err := backend.ParseHash(prefix[:2] + n.Name()); err == nil && strings.HasPrefix(h.String(), prefix) {
			add(h)
		}
	}
	return out, nil
}
