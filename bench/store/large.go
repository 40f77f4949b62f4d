package main

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/gobi-os/gobi/store"
)

// bigDir writes one directory of n entries in a first commit, then changes
// one entry and adds one in a second — the case Irmin 2.x published at
// 76.2 s and 237 MB for n = 1,000,000 (irmin #1237). Git trees are flat, so
// the second commit rewrites the whole directory object.
func bigDir(dir string, n int) (*result, error) {
	st, err := store.Init(dir, &store.Options{NoSync: true})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	ctx := context.Background()
	res := &result{}
	start := time.Now()
	var lat []time.Duration
	c0 := time.Now()
	_, err = st.Update(ctx, "main", store.CommitInfo{Message: "big"}, func(t *store.Tree) error {
		for i := range n {
			if err := t.Set(fmt.Sprintf("big/%07d", i), store.String(fmt.Sprint(i))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	lat = append(lat, time.Since(c0))
	c0 = time.Now()
	_, err = st.Update(ctx, "main", store.CommitInfo{Message: "one more"}, func(t *store.Tree) error {
		if err := t.Set("big/0000000", store.String("changed")); err != nil {
			return err
		}
		return t.Set(fmt.Sprintf("big/%07d", n), store.String("new"))
	})
	if err != nil {
		return nil, err
	}
	lat = append(lat, time.Since(c0))
	res.Seconds = time.Since(start).Seconds()
	res.Commits, res.Adds = 2, n+2
	res.Extra = map[string]float64{"commit1_ms": ms(lat[0]), "commit2_ms": ms(lat[1])}
	return res, nil
}

// mergeKey spreads key i over a three-level tree, "a/b/c" style.
func mergeKey(i int) string {
	return fmt.Sprintf("%02x/%02x/%07d", i%251, (i/251)%241, i)
}

// bigMerge builds a store of n keys, branches it, changes `changes`
// distinct keys on each side, and times merging one branch into the other
// (repeated from the same heads; reported: the first and the median).
func bigMerge(dir string, n, changes, rounds int) (*result, error) {
	st, err := store.Init(dir, &store.Options{NoSync: true})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	ctx := context.Background()
	setup := time.Now()
	base, err := st.Update(ctx, "main", store.CommitInfo{Message: "base"}, func(t *store.Tree) error {
		for i := range n {
			if err := t.Set(mergeKey(i), store.String(fmt.Sprint(i))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := st.CreateBranch("side", base); err != nil {
		return nil, err
	}
	step := n / (2 * changes)
	edit := func(branch string, offset int) error {
		_, err := st.Update(ctx, branch, store.CommitInfo{Message: "edit " + branch}, func(t *store.Tree) error {
			for j := range changes {
				if err := t.Set(mergeKey((2*j+offset)*step), store.String(branch)); err != nil {
					return err
				}
			}
			return nil
		})
		return err
	}
	if err := edit("main", 0); err != nil {
		return nil, err
	}
	if err := edit("side", 1); err != nil {
		return nil, err
	}
	ours, _ := st.Head("main")
	setupSecs := time.Since(setup).Seconds()
	var times []time.Duration
	for range rounds {
		t0 := time.Now()
		mr, err := st.Merge(ctx, "main", "side", store.CommitInfo{})
		if err != nil {
			return nil, err
		}
		times = append(times, time.Since(t0))
		if len(mr.Conflicts) != 0 || mr.FastForward || mr.UpToDate {
			return nil, fmt.Errorf("merge: %d conflicts, fast-forward %v: want a clean three-way merge", len(mr.Conflicts), mr.FastForward)
		}
		if err := st.SetHead("main", mr.Commit, ours); err != nil {
			return nil, err
		}
	}
	first := times[0]
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	return &result{
		Seconds: times[len(times)/2].Seconds(),
		Commits: rounds,
		Extra: map[string]float64{
			"setup_s":      setupSecs,
			"first_ms":     ms(first),
			"median_ms":    ms(times[len(times)/2]),
			"min_ms":       ms(times[0]),
			"keys":         float64(n),
			"changes_side": float64(changes),
		},
	}, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
