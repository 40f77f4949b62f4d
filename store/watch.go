package store

import (
	"context"
	"strings"
	"time"
)

// Event reports that a key changed on a branch.
type Event struct {
	Branch string
	Path   string // the key that changed
	Old    Hash   // the previous head (zero if the branch was created)
	Commit Hash   // the new head (zero if the branch was deleted)
}

// watcher is one Watch call.
type watcher struct {
	ctx    context.Context
	branch string // "" for all branches
	prefix string // "" for all keys
	ch     chan Event
}

func (w *watcher) matches(branch, path string) bool {
	if w.branch != "" && w.branch != branch {
		return false
	}
	return w.prefix == "" || path == w.prefix || strings.HasPrefix(path, w.prefix+"/")
}

// Watch reports changes to the keys at or under prefix ("" for all keys)
// on branch ("" for every branch), from the moment of the call until ctx
// ends, when the channel is closed. A prefix naming a key watches that
// key. Watches poll the branch references every Options.PollInterval, so
// they see commits from other processes; commits made through s are seen
// at once. Several commits between two polls are reported as one change
// from the old head to the new. A reader that falls behind delays later
// events for every watch of s, but none are dropped.
func (s *Store) Watch(ctx context.Context, branch, prefix string) (<-chan Event, error) {
	if branch != "" {
		if err := CheckBranchName(branch); err != nil {
			return nil, err
		}
	}
	if prefix != "" {
		if _, err := splitKey(prefix); err != nil {
			return nil, err
		}
	}
	w := &watcher{ctx: ctx, branch: branch, prefix: prefix, ch: make(chan Event, 64)}
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	if s.watchStop == nil {
		heads, err := s.heads()
		if err != nil {
			return nil, err
		}
		s.watchStop, s.watchDone = make(chan struct{}), make(chan struct{})
		go s.poll(heads, s.watchStop, s.watchDone)
	}
	s.watchers[w] = struct{}{}
	return w.ch, nil
}

// heads reads all branch heads.
func (s *Store) heads() (map[string]Hash, error) {
	refs, err := s.st.Refs(branchPrefix)
	if err != nil {
		return nil, err
	}
	m := make(map[string]Hash, len(refs))
	for _, r := range refs {
		m[strings.TrimPrefix(r.Name, branchPrefix)] = r.Hash
	}
	return m, nil
}

// notify wakes the poller after a commit through s.
func (s *Store) notify() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// stopWatches stops the poller, which closes every watch channel on its
// way out (only the poller sends on them).
func (s *Store) stopWatches() {
	s.watchMu.Lock()
	stop, done := s.watchStop, s.watchDone
	s.watchStop = nil
	s.watchMu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
}

// poll compares branch heads with the last seen ones and dispatches the
// changed keys to the matching watchers.
func (s *Store) poll(last map[string]Hash, stop, done chan struct{}) {
	tick := time.NewTicker(s.opts.PollInterval)
	defer func() {
		tick.Stop()
		s.watchMu.Lock()
		for w := range s.watchers {
			close(w.ch)
			delete(s.watchers, w)
		}
		s.watchMu.Unlock()
		close(done)
	}()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		case <-s.kick:
		}
		ws := s.liveWatchers()
		heads, err := s.heads()
		if err != nil {
			continue // a transient read error: try again next tick
		}
		for branch, h := range heads {
			if last[branch] != h {
				s.dispatch(ws, branch, last[branch], h, stop)
			}
		}
		for branch, h := range last {
			if _, ok := heads[branch]; !ok {
				s.dispatch(ws, branch, h, Hash{}, stop)
			}
		}
		last = heads
	}
}

// liveWatchers drops watchers whose context ended and returns the rest.
func (s *Store) liveWatchers() []*watcher {
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	var ws []*watcher
	for w := range s.watchers {
		if w.ctx.Err() != nil {
			close(w.ch)
			delete(s.watchers, w)
			continue
		}
		ws = append(ws, w)
	}
	return ws
}

func (s *Store) dispatch(ws []*watcher, branch string, old, new Hash, stop chan struct{}) {
	var interested []*watcher
	for _, w := range ws {
		if w.branch == "" || w.branch == branch {
			interested = append(interested, w)
		}
	}
	if len(interested) == 0 {
		return
	}
	tree := func(c Hash) Hash {
		if c.IsZero() {
			return Hash{}
		}
		cm, err := s.ReadCommit(c)
		if err != nil {
			return Hash{}
		}
		return cm.Tree
	}
	diffTrees(s.readTree, tree(old), tree(new), "", func(key string, _, _ *treeEntry) error {
		ev := Event{Branch: branch, Path: key, Old: old, Commit: new}
		for _, w := range interested {
			if !w.matches(branch, key) {
				continue
			}
			select {
			case w.ch <- ev:
			case <-w.ctx.Done():
			case <-stop:
			}
		}
		return nil
	})
}
