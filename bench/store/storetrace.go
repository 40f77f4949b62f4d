package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/gobi-os/gobi/store"
)

// storeTrace runs the trace on a Gobi store in dir. With writesOnly, finds
// are skipped (the comparison with git fast-import, which cannot read).
func storeTrace(dir string, commits int, writesOnly bool) (*result, error) {
	st, err := store.Init(dir, &store.Options{NoSync: true})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	tr := newTrace(1)
	res := &result{}
	var lat []time.Duration
	var head store.Hash
	start := time.Now()
	for i := range commits {
		ops := tr.nextCommit()
		t := st.EmptyTree()
		if i > 0 {
			if t, err = st.TreeAt(head); err != nil {
				return nil, err
			}
		}
		for _, o := range ops {
			switch o.kind {
			case opAdd:
				err = t.Set(o.key, store.Bytes(o.val))
				res.Adds++
			case opRemove:
				err = t.Remove(o.key)
				res.Removes++
			case opFind:
				if writesOnly {
					continue
				}
				_, err = t.Get(o.key)
				res.Finds++
			}
			if errors.Is(err, store.ErrNotFound) {
				err = nil
			}
			if err != nil {
				return nil, fmt.Errorf("commit %d: %s %s: %w", i, []string{"add", "find", "remove"}[o.kind], o.key, err)
			}
		}
		c0 := time.Now()
		var parents []store.Hash
		if i > 0 {
			parents = []store.Hash{head}
		}
		h, err := st.WriteCommit(t, parents, store.CommitInfo{Message: fmt.Sprintf("commit %d", i)})
		if err != nil {
			return nil, err
		}
		if err := st.SetHead("main", head, h); err != nil {
			return nil, err
		}
		head = h
		lat = append(lat, time.Since(c0))
	}
	res.Seconds = time.Since(start).Seconds()
	res.Commits = commits
	res.setLatency(lat)
	return res, nil
}
