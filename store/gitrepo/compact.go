package gitrepo

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/gobi-os/gobi/store/backend"
)

// Compaction bounds the number of packs, which every object lookup
// searches. Once there are more than compactAt packs, the small ones are
// rewritten as one so that the remaining sizes form a geometric
// progression (each pack at least twice the sum of the smaller ones), as
// `git repack --geometric=2` does: each object is rewritten O(log n) times.
const compactAt = 16

// maybeCompact merges the small packs if there are too many. Only one
// process compacts at a time (a non-blocking flock on the pack directory);
// others skip it. Readers that held a removed pack keep reading it through
// their open descriptor, and readers that miss an object rescan.
func (r *Repo) maybeCompact() error {
	r.mu.RLock()
	type sized struct {
		p    *pack
		size int64
	}
	var all []sized
	for _, p := range r.packs {
		all = append(all, sized{p, int64(p.size())})
	}
	r.mu.RUnlock()
	if len(all) <= compactAt {
		return nil
	}
	slices.SortFunc(all, func(a, b sized) int { return cmp.Compare(a.size, b.size) })
	// Packs are merged up to the last one that is smaller than twice the
	// sum of the packs below it; every pack above the split then holds at
	// least twice what lies below, the merged pack included.
	split := 0
	var sum int64
	for i, x := range all {
		if i > 0 && x.size < 2*sum {
			split = i + 1
		}
		sum += x.size
	}
	if split < 2 {
		return nil
	}
	var small []*pack
	for _, x := range all[:split] {
		small = append(small, x.p)
	}
	dir := filepath.Join(r.dir, "objects", "pack")
	lock, err := os.OpenFile(filepath.Join(dir, "gobi-compact.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return nil // another process is compacting
	}
	// Entries without deltas are copied as they are; deltified ones (from
	// git gc, or a fetched pack) are resolved and stored whole, since
	// their bases may not come along.
	type source struct {
		p        *pack
		off, end int64
	}
	var srcs []source
	var hashes []backend.Hash
	seen := map[backend.Hash]bool{}
	for _, p := range small {
		n := int(p.idx.fanout[255])
		ends := p.entryEnds()
		for i := range n {
			var h backend.Hash
			copy(h[:], p.idx.names[i*20:])
			if seen[h] {
				continue
			}
			seen[h] = true
			off, _ := p.idx.find(h)
			srcs = append(srcs, source{p, off, ends[off]})
			hashes = append(hashes, h)
		}
	}
	// Write the merged pack before removing any old one, so every object
	// stays reachable throughout.
	err = r.writePackOnly(hashes, func(i int, buf *bytes.Buffer) error {
		src := srcs[i]
		if src.p.copyEntry(src.off, src.end, buf) {
			return nil
		}
		o, err := src.p.object(r, src.off)
		if err != nil {
			return fmt.Errorf("compacting %s: %w", src.p.idxPath, err)
		}
		return encodeEntry(buf, o)
	})
	if errors.Is(err, fs.ErrClosed) {
		return nil // a concurrent Refresh dropped a pack: try another time
	}
	if err != nil {
		return err
	}
	for _, p := range small {
		os.Remove(p.idxPath) // index first: the pack is invisible without it
		os.Remove(strings.TrimSuffix(p.idxPath, ".idx") + ".pack")
	}
	r.removeStaleTemporaries()
	return r.Refresh()
}

// staleTemporary is how old a temporary file must be before compaction
// removes it as left by a killed writer (git gc waits as long by default
// for its own).
const staleTemporary = time.Hour

// removeStaleTemporaries deletes temporaries that killed writers left.
func (r *Repo) removeStaleTemporaries() {
	for _, pattern := range []string{"objects/tmp_*", "objects/pack/tmp_*"} {
		names, _ := filepath.Glob(filepath.Join(r.dir, pattern))
		for _, n := range names {
			if fi, err := os.Stat(n); err == nil && time.Since(fi.ModTime()) > staleTemporary {
				os.Remove(n)
			}
		}
	}
}
