package store

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gobi-os/gobi/store/backend"
	"github.com/gobi-os/gobi/store/gitrepo"
)

// Hash is a Git object name (SHA-1); see backend.Hash.
type Hash = backend.Hash

// ParseHash parses a 40-digit hex object name.
func ParseHash(s string) (Hash, error) { return backend.ParseHash(s) }

// DefaultBranch is the branch HEAD points to in a new repository.
const DefaultBranch = "main"

// Errors returned by the store. Test them with errors.Is.
var (
	// ErrNotFound means a key, branch, commit or conflict does not exist.
	ErrNotFound = backend.ErrNotFound
	// ErrRefChanged means a compare-and-swap on a branch head lost a race.
	ErrRefChanged = backend.ErrRefChanged
	// ErrTestAndSet means a test-and-set on a key found another value.
	ErrTestAndSet = errors.New("key does not hold the expected value")
)

// Options tunes a Store. The zero value is ready to use.
type Options struct {
	// PollInterval is how often watches poll the references for changes
	// made by other processes. Zero means 100ms.
	PollInterval time.Duration
	// RetryTimeout bounds how long Update keeps retrying when other
	// writers move the branch head first. Zero means one minute.
	RetryTimeout time.Duration
	// NoSync skips fsync on the Git directory backend. Only for
	// benchmarks and tests that do not need durability across power loss:
	// crash safety against a killed process does not depend on fsync.
	NoSync bool
}

// Store is a branchable store on one backend. It is safe for concurrent use
// by many goroutines.
type Store struct {
	st   backend.Storage
	path string
	opts Options

	cache *objectCache

	watchMu   sync.Mutex
	watchers  map[*watcher]struct{}
	watchStop chan struct{} // closed to stop the poller; nil when not running
	watchDone chan struct{} // closed by the poller when it has stopped
	kick      chan struct{}
}

// Init creates a bare Git repository at dir (HEAD → refs/heads/main) and
// opens it. dir must not exist or must be empty.
func Init(dir string, opts *Options) (*Store, error) {
	o := options(opts)
	r, err := gitrepo.Init(dir, DefaultBranch, gitrepo.Options{NoSync: o.NoSync})
	if err != nil {
		return nil, err
	}
	return newStore(r, r.Dir(), o), nil
}

// Open opens the bare Git repository at dir (a directory holding HEAD,
// objects/ and refs/; a non-bare repository's .git directory also works).
func Open(dir string, opts *Options) (*Store, error) {
	o := options(opts)
	r, err := gitrepo.Open(dir, gitrepo.Options{NoSync: o.NoSync})
	if err != nil {
		return nil, err
	}
	return newStore(r, r.Dir(), o), nil
}

// NewMemory returns a Store held in memory, with an empty "main" branch
// absent until the first commit.
func NewMemory() *Store {
	return New(backend.NewMemory(DefaultBranch), nil)
}

// New returns a Store on any backend.
func New(st backend.Storage, opts *Options) *Store {
	return newStore(st, "", options(opts))
}

func options(opts *Options) Options {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 100 * time.Millisecond
	}
	if o.RetryTimeout <= 0 {
		o.RetryTimeout = time.Minute
	}
	return o
}

func newStore(st backend.Storage, path string, o Options) *Store {
	return &Store{st: st, path: path, opts: o, cache: newObjectCache(), watchers: map[*watcher]struct{}{}, kick: make(chan struct{}, 1)}
}

// Path returns the Git directory of a store opened with Init or Open, or ""
// for other backends. Sync writes fetched objects there (then calls Refresh).
func (s *Store) Path() string { return s.path }

// Storage returns the backend beneath s.
func (s *Store) Storage() backend.Storage { return s.st }

// Refresh makes objects and references written by other processes (for
// example by a fetch into Path) visible to s.
func (s *Store) Refresh() error { return s.st.Refresh() }

// Close stops watches and releases the backend.
func (s *Store) Close() error {
	s.stopWatches()
	return s.st.Close()
}

const (
	branchPrefix = "refs/heads/"
	tagPrefix    = "refs/tags/"
)

// Branches returns the branch names, sorted.
func (s *Store) Branches() ([]string, error) { return s.refNames(branchPrefix) }

// Tags returns the tag names, sorted.
func (s *Store) Tags() ([]string, error) { return s.refNames(tagPrefix) }

func (s *Store) refNames(prefix string) ([]string, error) {
	refs, err := s.st.Refs(prefix)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(refs))
	for i, r := range refs {
		names[i] = strings.TrimPrefix(r.Name, prefix)
	}
	return names, nil
}

// Head returns the commit branch points to, or an error wrapping
// ErrNotFound if the branch does not exist.
func (s *Store) Head(branch string) (Hash, error) {
	if err := CheckBranchName(branch); err != nil {
		return Hash{}, err
	}
	h, err := s.st.Ref(branchPrefix + branch)
	if err != nil {
		return Hash{}, fmt.Errorf("branch %s: %w", branch, err)
	}
	return h, nil
}

// SetHead moves branch from old to new by compare-and-swap: it fails with an
// error wrapping ErrRefChanged unless the branch points to old (zero: the
// branch must not exist). A zero new deletes the branch. new must name a
// commit already stored.
func (s *Store) SetHead(branch string, old, new Hash) error {
	if err := CheckBranchName(branch); err != nil {
		return err
	}
	if !new.IsZero() {
		if _, err := s.ReadCommit(new); err != nil {
			return fmt.Errorf("moving branch %s: %w", branch, err)
		}
	}
	if err := s.st.CompareAndSwapRef(branchPrefix+branch, old, new); err != nil {
		return fmt.Errorf("moving branch %s: %w", branch, err)
	}
	s.notify()
	return nil
}

// CreateBranch creates branch pointing at commit; it fails if the branch
// exists.
func (s *Store) CreateBranch(branch string, commit Hash) error {
	if commit.IsZero() {
		return fmt.Errorf("creating branch %s: no commit given", branch)
	}
	return s.SetHead(branch, Hash{}, commit)
}

// DeleteBranch deletes branch.
func (s *Store) DeleteBranch(branch string) error {
	h, err := s.Head(branch)
	if err != nil {
		return err
	}
	return s.SetHead(branch, h, Hash{})
}

// CreateTag creates a lightweight tag pointing at commit.
func (s *Store) CreateTag(tag string, commit Hash) error {
	if err := CheckBranchName(tag); err != nil {
		return err
	}
	if _, err := s.ReadCommit(commit); err != nil {
		return fmt.Errorf("tagging %s: %w", tag, err)
	}
	return s.st.CompareAndSwapRef(tagPrefix+tag, Hash{}, commit)
}

// Rev resolves a revision: a branch name, a tag name, or a commit hash,
// full or abbreviated to at least 4 hex digits (if the backend can search
// by prefix and the abbreviation names one commit).
func (s *Store) Rev(rev string) (Hash, error) {
	if h, err := backend.ParseHash(rev); err == nil {
		return h, nil
	}
	if CheckBranchName(rev) == nil {
		if h, err := s.st.Ref(branchPrefix + rev); err == nil {
			return h, nil
		}
		if h, err := s.st.Ref(tagPrefix + rev); err == nil {
			return s.peel(h)
		}
	}
	if pf, ok := s.st.(backend.PrefixFinder); ok && isHexPrefix(rev) {
		hs, err := pf.FindPrefix(rev, 16)
		if err != nil {
			return Hash{}, err
		}
		var commits []Hash
		for _, h := range hs {
			if _, err := s.ReadCommit(h); err == nil {
				commits = append(commits, h)
			}
		}
		switch len(commits) {
		case 1:
			return commits[0], nil
		case 0:
		default:
			return Hash{}, fmt.Errorf("revision %q is ambiguous: give more digits", rev)
		}
	}
	return Hash{}, fmt.Errorf("revision %q: no such branch, tag or commit: %w", rev, ErrNotFound)
}

func isHexPrefix(s string) bool {
	if len(s) < 4 || len(s) >= 2*backend.HashSize {
		return false
	}
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// peel follows annotated tag objects (made by `git tag -a`) to the commit.
func (s *Store) peel(h Hash) (Hash, error) {
	for range 16 {
		o, err := s.st.GetObject(h)
		if err != nil {
			return Hash{}, err
		}
		if o.Type != backend.TagObject {
			return h, nil
		}
		t, ok := strings.CutPrefix(string(o.Data), "object ")
		if !ok || len(t) < 40 {
			return Hash{}, fmt.Errorf("tag %s: malformed", h)
		}
		if h, err = backend.ParseHash(t[:40]); err != nil {
			return Hash{}, err
		}
	}
	return Hash{}, fmt.Errorf("tag %s: chain too long", h)
}

// CheckBranchName reports whether name is a valid branch or tag name under
// git-check-ref-format(1) rules.
func CheckBranchName(name string) error {
	bad := func(why string) error { return fmt.Errorf("invalid branch name %q: %s", name, why) }
	if name == "" || name == "@" || name == "HEAD" {
		return bad("reserved or empty")
	}
	if strings.HasPrefix(name, "/") || strings.HasSuffix(name, "/") || strings.HasSuffix(name, ".") {
		return bad("must not start or end with '/' or end with '.'")
	}
	if strings.Contains(name, "..") || strings.Contains(name, "//") || strings.Contains(name, "@{") {
		return bad(`must not contain "..", "//" or "@{"`)
	}
	for _, c := range name {
		if c < 0x20 || c == 0x7f || strings.ContainsRune(" ~^:?*[\\", c) {
			return bad(fmt.Sprintf("must not contain %q", c))
		}
	}
	for _, part := range strings.Split(name, "/") {
		if strings.HasPrefix(part, ".") || strings.HasSuffix(part, ".lock") {
			return bad("components must not start with '.' or end with \".lock\"")
		}
	}
	return nil
}
