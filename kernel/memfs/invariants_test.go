package memfs

import "testing"

// checkInvariants verifies the tables against each other: link counts,
// open counts, directory sizes, the hash, and that every allocator page in
// use belongs to exactly one file's tree (nothing leaks, nothing is shared).
func checkInvariants(t testing.TB) {
	t.Helper()
	refs := make([]int, maxNodes)
	subdirs := make([]int, maxNodes)
	entries := make([]int, maxNodes)
	for e := int32(1); e < fs.direntTop; e++ {
		d := &fs.dirents[e]
		if d.dir == 0 {
			continue
		}
		refs[d.node]++
		entries[d.dir]++
		if fs.nodes[d.node].kind == kindDir {
			subdirs[d.dir]++
			if fs.nodes[d.node].dent != e || fs.nodes[d.node].parent != d.dir {
				t.Fatalf("directory %d: dent %d parent %d, but entry %d in %d names it", d.node, fs.nodes[d.node].dent, fs.nodes[d.node].parent, e, d.dir)
			}
		}
		if lookupEntry(d.dir, bytesString(direntName(d))) != e {
			t.Fatalf("entry %d (%q) is not found through the hash", e, direntName(d))
		}
	}
	opens := make([]int32, maxNodes)
	for f := range fs.files {
		if fs.files[f].refs > 0 {
			opens[fs.files[f].node]++
		}
	}
	pages := 0
	for i := int32(1); i < fs.nodeTop; i++ {
		n := &fs.nodes[i]
		if n.kind == kindFree {
			continue
		}
		if n.opens != opens[i] {
			t.Fatalf("node %d: opens %d, but %d open files", i, n.opens, opens[i])
		}
		switch {
		case i == rootNode:
			if n.nlink != uint32(2+subdirs[i]) {
				t.Fatalf("root: nlink %d, want %d", n.nlink, 2+subdirs[i])
			}
		case n.kind == kindDir && n.nlink != 0:
			if refs[i] != 1 || n.nlink != uint32(2+subdirs[i]) {
				t.Fatalf("directory %d: nlink %d with %d names and %d subdirectories", i, n.nlink, refs[i], subdirs[i])
			}
		case n.kind != kindDir && n.nlink != uint32(refs[i]):
			t.Fatalf("node %d: nlink %d, but %d names", i, n.nlink, refs[i])
		}
		if n.nlink == 0 && n.opens == 0 {
			t.Fatalf("node %d is unreachable but not freed", i)
		}
		if n.kind == kindDir && n.size != int64(dirEntrySize*(2+entries[i])) {
			t.Fatalf("directory %d: size %d with %d entries", i, n.size, entries[i])
		}
		if !n.inplace && n.kind != kindDir {
			data, index := countTree(n.data, int(n.depth))
			if int64(data) != n.npages {
				t.Fatalf("node %d: npages %d, but %d data pages in its tree", i, n.npages, data)
			}
			pages += data + index
		}
	}
	if pages != pagesUsed {
		t.Fatalf("%d pages in trees, but %d taken from the allocator", pages, pagesUsed)
	}
}

// countTree counts the data and index pages of a page tree.
func countTree(p uintptr, level int) (data, index int) {
	if p == 0 {
		return 0, 0
	}
	if level == 0 {
		return 1, 0
	}
	index = 1
	for i := int64(0); i < 1<<fs.fanShift; i++ {
		d, x := countTree(*wordAt(p, i), level-1)
		data += d
		index += x
	}
	return data, index
}
