package store

import (
	"context"
	"strings"
	"testing"
	"time"
)

func ptr(v Value) *Value { return &v }

func mustJSON(t *testing.T, s string) Value {
	t.Helper()
	v, err := JSON([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestMergeValues is the table of three-way merges of every built-in type:
// base/ours/theirs → merged value, or a conflict whose reason contains a
// given text.
func TestMergeValues(t *testing.T) {
	t0 := time.Unix(1000, 0)
	t1 := time.Unix(2000, 0)
	tests := []struct {
		name               string
		base               *Value
		ours, theirs, want Value
		conflict           string
	}{
		{"bytes same change", ptr(String("a")), String("b"), String("b"), String("b"), ""},
		{"bytes ours only", ptr(String("a")), String("b"), String("a"), String("b"), ""},
		{"bytes theirs only", ptr(String("a")), String("a"), String("c"), String("c"), ""},
		{"bytes both differ", ptr(String("a")), String("b"), String("c"), Value{}, "both sides changed"},
		{"bytes add/add differ", nil, String("b"), String("c"), Value{}, "both sides changed"},
		{"type change", ptr(String("a")), Counter(1), String("c"), Value{}, "type changed"},
		{"counter", ptr(Counter(10)), Counter(13), Counter(5), Counter(8), ""},
		{"counter add/add", nil, Counter(2), Counter(3), Counter(5), ""},
		{"counter base of other type", ptr(String("x")), Counter(2), Counter(3), Counter(5), ""},
		{"counter overflow", ptr(Counter(0)), Counter(1 << 62), Counter(1<<62 + 1), Value{}, "overflow"},
		{"counter same change", ptr(Counter(0)), Counter(1), Counter(1), Counter(1), ""},
		{"lww later wins", ptr(LWW(t0, []byte("a"))), LWW(t1, []byte("ours")), LWW(t0.Add(time.Second), []byte("theirs")), LWW(t1, []byte("ours")), ""},
		{"lww theirs later", ptr(LWW(t0, []byte("a"))), LWW(t0.Add(time.Second), []byte("ours")), LWW(t1, []byte("theirs")), LWW(t1, []byte("theirs")), ""},
		{"lww tie by data", nil, LWW(t1, []byte("a")), LWW(t1, []byte("b")), LWW(t1, []byte("b")), ""},
		{"set add and remove", ptr(Set("a", "b", "c")), Set("a", "b", "d"), Set("b", "c", "e"), Set("b", "d", "e"), ""},
		{"set add/add", nil, Set("a"), Set("b"), Set("a", "b"), ""},
		{"map per key", ptr(Map(map[string]string{"k": "1", "j": "1"})), Map(map[string]string{"k": "2", "j": "1"}), Map(map[string]string{"k": "1", "j": "1", "n": "x"}), Map(map[string]string{"k": "2", "j": "1", "n": "x"}), ""},
		{"map same key differs", ptr(Map(map[string]string{"k": "1"})), Map(map[string]string{"k": "2"}), Map(map[string]string{"k": "3"}), Value{}, `key "k"`},
		{"map remove vs keep", ptr(Map(map[string]string{"k": "1", "j": "1"})), Map(map[string]string{"j": "1"}), Map(map[string]string{"k": "1", "j": "2"}), Map(map[string]string{"j": "2"}), ""},
		{"log union", ptr(Log(LogEntry{t0, "a"})), Log(LogEntry{t0, "a"}, LogEntry{t1, "o"}), Log(LogEntry{t0, "a"}, LogEntry{t0.Add(time.Second), "t"}), Log(LogEntry{t0, "a"}, LogEntry{t0.Add(time.Second), "t"}, LogEntry{t1, "o"}), ""},
		{"json nested", ptr(mustJSON(t, `{"a":{"x":1,"y":1},"b":1}`)), mustJSON(t, `{"a":{"x":2,"y":1},"b":1}`), mustJSON(t, `{"a":{"x":1,"y":3},"b":1,"c":true}`), mustJSON(t, `{"a":{"x":2,"y":3},"b":1,"c":true}`), ""},
		{"json conflict", ptr(mustJSON(t, `{"a":{"x":1}}`)), mustJSON(t, `{"a":{"x":2}}`), mustJSON(t, `{"a":{"x":3}}`), Value{}, `key "a.x"`},
		{"json object vs scalar", ptr(mustJSON(t, `{"a":1}`)), mustJSON(t, `{"a":{"x":2}}`), mustJSON(t, `{"a":3}`), Value{}, `key "a"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := mergeValues(tt.base, tt.ours, tt.theirs)
			if tt.conflict != "" {
				if err == nil || !strings.Contains(err.Error(), tt.conflict) {
					t.Fatalf("mergeValues = %q, %v; want a conflict containing %q", got.Data, err, tt.conflict)
				}
				return
			}
			if err != nil || !got.Equal(tt.want) {
				t.Fatalf("mergeValues = %s %q, %v; want %s %q", got.Type, got.Data, err, tt.want.Type, tt.want.Data)
			}
		})
	}
}

// TestMergeTrees covers the tree-level cases: independent keys, removal
// against change, value against directory, and whole directories.
func TestMergeTrees(t *testing.T) {
	s := NewMemory()
	build := func(kv map[string]string) *Tree {
		tr := s.EmptyTree()
		for k, v := range kv {
			if err := tr.Set(k, String(v)); err != nil {
				t.Fatal(err)
			}
		}
		return tr
	}
	tests := []struct {
		name               string
		base, ours, theirs map[string]string
		want               map[string]string
		conflicts          []string
	}{
		{"disjoint", map[string]string{"a": "1"}, map[string]string{"a": "1", "b/c": "2"}, map[string]string{"a": "1", "d/e": "3"}, map[string]string{"a": "1", "b/c": "2", "d/e": "3"}, nil},
		{"remove vs unchanged", map[string]string{"a": "1", "b": "2"}, map[string]string{"b": "2"}, map[string]string{"a": "1", "b": "2"}, map[string]string{"b": "2"}, nil},
		{"remove vs change", map[string]string{"a": "1", "b": "2"}, map[string]string{"b": "2"}, map[string]string{"a": "9", "b": "2"}, map[string]string{"b": "2"}, []string{"a"}},
		{"dir removed vs changed inside", map[string]string{"d/x": "1", "d/y": "1"}, map[string]string{}, map[string]string{"d/x": "2", "d/y": "1"}, map[string]string{}, []string{"d/x"}},
		{"value vs dir", map[string]string{}, map[string]string{"p": "v"}, map[string]string{"p/q": "w"}, map[string]string{"p": "v"}, []string{"p"}},
		{"deep independent", map[string]string{"a/b/c": "1", "a/b/d": "1"}, map[string]string{"a/b/c": "2", "a/b/d": "1"}, map[string]string{"a/b/c": "1", "a/b/d": "3"}, map[string]string{"a/b/c": "2", "a/b/d": "3"}, nil},
		{"both remove", map[string]string{"a/b": "1", "c": "1"}, map[string]string{"c": "1"}, map[string]string{"c": "1"}, map[string]string{"c": "1"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, cs, err := s.MergeTrees(build(tt.base), build(tt.ours), build(tt.theirs))
			if err != nil {
				t.Fatal(err)
			}
			var paths []string
			for _, c := range cs {
				paths = append(paths, c.Path)
			}
			if strings.Join(paths, ",") != strings.Join(tt.conflicts, ",") {
				t.Errorf("conflicts = %v, want %v", paths, tt.conflicts)
			}
			wh, _ := build(tt.want).Hash()
			gh, _ := got.Hash()
			if wh != gh {
				var keys []string
				got.Walk("", func(k string, v Value) error { keys = append(keys, k+"="+string(v.Data)); return nil })
				t.Errorf("merged tree = %v, want %v", keys, tt.want)
			}
		})
	}
}

// TestMergeConflictRecord merges two branches with a conflict, checks the
// committed record, resolves it, and re-merges.
func TestMergeConflictRecord(t *testing.T) {
	ctx := context.Background()
	s := NewMemory()
	set := func(branch, k, v string) {
		t.Helper()
		if _, err := s.Set(ctx, branch, k, String(v), CommitInfo{}); err != nil {
			t.Fatal(err)
		}
	}
	set("main", "k", "base")
	h, _ := s.Head("main")
	if err := s.CreateBranch("dev", h); err != nil {
		t.Fatal(err)
	}
	set("main", "k", "ours")
	set("dev", "k", "theirs")
	set("dev", "other", "x")
	res, err := s.Merge(ctx, "main", "dev", CommitInfo{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Conflicts) != 1 || res.Conflicts[0].Path != "k" {
		t.Fatalf("Merge conflicts = %+v, want one on k", res.Conflicts)
	}
	cs, err := s.Conflicts("main")
	if err != nil || len(cs) != 1 {
		t.Fatalf("Conflicts(main) = %v, %v; want 1", cs, err)
	}
	c := cs[0]
	if string(c.Base.Data) != "base" || string(c.Ours.Data) != "ours" || string(c.Theirs.Data) != "theirs" || c.TheirsCommit.IsZero() {
		t.Fatalf("conflict record = %+v", c)
	}
	if v, _ := s.Get("main", "k"); string(v.Data) != "ours" {
		t.Errorf("k after conflicting merge = %q, want ours kept", v.Data)
	}
	if v, _ := s.Get("main", "other"); string(v.Data) != "x" {
		t.Errorf("other after merge = %q, want x", v.Data)
	}
	// Resolve on another branch (as another replica would), then merge back.
	mh, _ := s.Head("main")
	if err := s.CreateBranch("replica", mh); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ResolveConflict(ctx, "replica", "k", ptr(String("resolved")), CommitInfo{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ResolveConflict(ctx, "replica", "k", nil, CommitInfo{}); err == nil {
		t.Error("ResolveConflict twice succeeded, want not found")
	}
	set("main", "unrelated", "y")
	res, err = s.Merge(ctx, "main", "replica", CommitInfo{})
	if err != nil || len(res.Conflicts) != 0 {
		t.Fatalf("re-merge = %+v, %v", res, err)
	}
	if cs, _ := s.Conflicts("main"); len(cs) != 0 {
		t.Errorf("conflicts after resolution merged = %v, want none", cs)
	}
	if v, _ := s.Get("main", "k"); string(v.Data) != "resolved" {
		t.Errorf("k = %q, want resolved", v.Data)
	}
}

func TestMergeFastForwardAndUpToDate(t *testing.T) {
	ctx := context.Background()
	s := NewMemory()
	s.Set(ctx, "main", "a", String("1"), CommitInfo{})
	h, _ := s.Head("main")
	s.CreateBranch("dev", h)
	d, _ := s.Set(ctx, "dev", "a", String("2"), CommitInfo{})
	res, err := s.Merge(ctx, "main", "dev", CommitInfo{})
	if err != nil || !res.FastForward || res.Commit != d {
		t.Fatalf("Merge = %+v, %v; want fast-forward to %s", res, err, d)
	}
	res, err = s.Merge(ctx, "main", h.String(), CommitInfo{})
	if err != nil || !res.UpToDate {
		t.Fatalf("Merge of ancestor = %+v, %v; want up to date", res, err)
	}
}

// TestMergeBaseCrissCross builds a criss-cross history (each branch merged
// into the other from the same heads) and checks the merge base is one of
// the two best common ancestors and that a further merge still works.
func TestMergeBaseCrissCross(t *testing.T) {
	ctx := context.Background()
	s := NewMemory()
	root, _ := s.Set(ctx, "main", "k", String("0"), CommitInfo{})
	s.CreateBranch("dev", root)
	a, _ := s.Set(ctx, "main", "a", String("1"), CommitInfo{})
	b, _ := s.Set(ctx, "dev", "b", String("1"), CommitInfo{})
	// Cross merges by hand, from the same two heads.
	ta, _ := s.TreeAt(a)
	tb, _ := s.TreeAt(b)
	tr, _, err := s.MergeTrees(mustTree(t, s, root), ta, tb)
	if err != nil {
		t.Fatal(err)
	}
	m1, _ := s.WriteCommit(tr, []Hash{a, b}, CommitInfo{Message: "m1"})
	m2, _ := s.WriteCommit(tr, []Hash{b, a}, CommitInfo{Message: "m2"})
	if err := s.SetHead("main", a, m1); err != nil {
		t.Fatal(err)
	}
	if err := s.SetHead("dev", b, m2); err != nil {
		t.Fatal(err)
	}
	base, err := s.MergeBase(m1, m2)
	if err != nil || (base != a && base != b) {
		t.Fatalf("MergeBase(criss-cross) = %s, %v; want %s or %s", base, err, a, b)
	}
	s.Set(ctx, "main", "x", String("main"), CommitInfo{})
	s.Set(ctx, "dev", "y", String("dev"), CommitInfo{})
	res, err := s.Merge(ctx, "main", "dev", CommitInfo{})
	if err != nil || len(res.Conflicts) != 0 {
		t.Fatalf("Merge after criss-cross = %+v, %v", res, err)
	}
	for _, k := range []string{"a", "b", "k", "x", "y"} {
		if ok, _ := mustTree(t, s, res.Commit).Has(k); !ok {
			t.Errorf("merged tree lacks %s", k)
		}
	}
	if ok, _ := s.IsAncestor(root, res.Commit); !ok {
		t.Error("IsAncestor(root, merge) = false")
	}
}

func mustTree(t *testing.T, s *Store, commit Hash) *Tree {
	t.Helper()
	tr, err := s.TreeAt(commit)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}
