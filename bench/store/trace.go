package main

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
)

// The trace: a commit-heavy workload shaped like the Tezos context traces
// Irmin is measured with (which cannot be downloaded here). Every commit
// applies addsPer writes (70% new keys, 30% overwrites), findsPer reads
// (90% of live keys, 10% of keys never written) and removesPer deletions
// of live keys, in a shuffled order, then commits.
//
// Keys are 4 levels deep, "index/XX/YY/NNNNNNN": two levels of 256-way
// fan-out below a fixed root directory, so 700k adds spread over 65,536
// leaf directories of ~10 entries. Values are 8 to 72 random bytes.
const (
	addsPer    = 70
	findsPer   = 230
	removesPer = 5
	minValue   = 8
	maxValue   = 72
)

// opKind is one trace operation.
type opKind byte

const (
	opAdd opKind = iota
	opFind
	opRemove
)

// op is one operation of a commit.
type op struct {
	kind opKind
	key  string
	val  []byte // for opAdd
}

// trace generates the operations commit by commit, deterministically from
// its seed, holding only the set of live key ids.
type trace struct {
	rng    *rand.Rand
	next   int32         // next new key id
	live   []int32       // live key ids
	pos    map[int32]int // id → index in live
	commit int
}

func newTrace(seed uint64) *trace {
	return &trace{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), pos: map[int32]int{}}
}

// keyOf returns the path of key id: the two directory levels are taken
// from a hash of the id so neighbouring ids scatter.
func keyOf(id int32) string {
	h := fnv.New32a()
	var b [4]byte
	b[0], b[1], b[2], b[3] = byte(id), byte(id>>8), byte(id>>16), byte(id>>24)
	h.Write(b[:])
	s := h.Sum32()
	return fmt.Sprintf("index/%02x/%02x/%07d", byte(s), byte(s>>8), id)
}

func (t *trace) addLive(id int32) {
	if _, ok := t.pos[id]; ok {
		return
	}
	t.pos[id] = len(t.live)
	t.live = append(t.live, id)
}

func (t *trace) removeLive(i int) int32 {
	id := t.live[i]
	last := t.live[len(t.live)-1]
	t.live[i] = last
	t.pos[last] = i
	t.live = t.live[:len(t.live)-1]
	delete(t.pos, id)
	return id
}

// nextCommit returns the operations of the next commit.
func (t *trace) nextCommit() []op {
	ops := make([]op, 0, addsPer+findsPer+removesPer)
	for range addsPer {
		var id int32
		if len(t.live) > 100 && t.rng.IntN(10) < 3 {
			id = t.live[t.rng.IntN(len(t.live))]
		} else {
			id = t.next
			t.next++
		}
		v := make([]byte, minValue+t.rng.IntN(maxValue-minValue+1))
		for i := range v {
			v[i] = byte(t.rng.Uint32())
		}
		ops = append(ops, op{kind: opAdd, key: keyOf(id), val: v})
		t.addLive(id)
	}
	for range removesPer {
		if len(t.live) == 0 {
			break
		}
		id := t.removeLive(t.rng.IntN(len(t.live)))
		ops = append(ops, op{kind: opRemove, key: keyOf(id)})
	}
	for range findsPer {
		var id int32
		if t.rng.IntN(10) < 9 && len(t.live) > 0 {
			id = t.live[t.rng.IntN(len(t.live))]
		} else {
			id = t.next + int32(t.rng.IntN(1<<20)) // never written
		}
		ops = append(ops, op{kind: opFind, key: keyOf(id)})
	}
	// Interleave: a remove may follow an add of the same key, as in
	// real traces; finds see the commit's earlier writes.
	t.rng.Shuffle(len(ops), func(i, j int) { ops[i], ops[j] = ops[j], ops[i] })
	t.commit++
	return ops
}
