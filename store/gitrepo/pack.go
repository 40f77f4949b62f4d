package gitrepo

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/gobi-os/gobi/store/backend"
)

// pack is one packfile, mapped into memory, and its version 2 index, read
// as in gitformat-pack. Packs never change once written, so the mapping
// needs no invalidation; mu only keeps it from being unmapped while read.
type pack struct {
	idxPath string
	idx     *index

	mu   sync.RWMutex
	data []byte // the mapped pack; nil once closed

	basesMu sync.Mutex
	bases   map[int64]backend.Object // delta bases recently resolved
}

func openPack(idxPath string) (*pack, error) {
	raw, err := os.ReadFile(idxPath)
	if err != nil {
		return nil, err
	}
	idx, err := parseIndex(raw)
	if err != nil {
		return nil, fmt.Errorf("pack index %s: %w", idxPath, err)
	}
	f, err := os.Open(strings.TrimSuffix(idxPath, ".idx") + ".pack")
	if err != nil {
		return nil, err
	}
	defer f.Close() // the mapping outlives the descriptor
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() < 12+20 || fi.Size() != int64(int(fi.Size())) {
		return nil, fmt.Errorf("pack %s: bad size %d", f.Name(), fi.Size())
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(fi.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mapping pack %s: %w", f.Name(), err)
	}
	return &pack{idxPath: idxPath, idx: idx, data: data, bases: map[int64]backend.Object{}}, nil
}

// close unmaps the pack once no reader is inside it; later reads fail
// with fs.ErrClosed, and callers rescan.
func (p *pack) close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.data == nil {
		return nil
	}
	err := syscall.Munmap(p.data)
	p.data = nil
	return err
}

// size returns the pack's length in bytes (0 once closed).
func (p *pack) size() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return len(p.data)
}

// entryEnds maps each entry's offset to the offset where it ends: the next
// entry's, or the trailing checksum's.
func (p *pack) entryEnds() map[int64]int64 {
	n := int(p.idx.fanout[255])
	offs := make([]int64, 0, n)
	for i := range n {
		var h backend.Hash
		copy(h[:], p.idx.names[i*20:])
		off, _ := p.idx.find(h)
		offs = append(offs, off)
	}
	slices.Sort(offs)
	ends := make(map[int64]int64, n)
	for i, off := range offs {
		end := int64(p.size()) - 20
		if i+1 < len(offs) {
			end = offs[i+1]
		}
		ends[off] = end
	}
	return ends
}

// copyEntry appends the bytes of the entry in [off, end) to buf if it is
// an undeltified object, which another pack can hold as it is.
func (p *pack) copyEntry(off, end int64, buf *bytes.Buffer) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.data == nil || end <= off || end > int64(len(p.data))-20 {
		return false
	}
	typ, _, _, _, _, err := parseEntryHeader(p.data, off)
	if err != nil || typ == objOfsDelta || typ == objRefDelta {
		return false
	}
	buf.Write(p.data[off:end])
	return true
}

// index is a parsed version 2 pack index.
type index struct {
	fanout  [256]uint32
	names   []byte // n × 20
	offsets []byte // n × 4
	large   []byte // m × 8
}

var idxMagic = []byte{0xff, 't', 'O', 'c'}

// parseIndex parses an index held in data. Version 1 indexes (git before
// 1.5.2) are not read; `git index-pack` rewrites them as version 2.
func parseIndex(data []byte) (*index, error) {
	if len(data) < 8+256*4+40 || !bytes.Equal(data[:4], idxMagic) || binary.BigEndian.Uint32(data[4:]) != 2 {
		return nil, errors.New("not a version 2 pack index: run `git index-pack` on the pack")
	}
	x := &index{}
	prev := uint32(0)
	for i := range x.fanout {
		x.fanout[i] = binary.BigEndian.Uint32(data[8+4*i:])
		if x.fanout[i] < prev {
			return nil, errors.New("fan-out table not monotonic")
		}
		prev = x.fanout[i]
	}
	n := int(x.fanout[255])
	body := data[8+256*4 : len(data)-40]
	if len(body) < n*28 {
		return nil, errors.New("truncated")
	}
	x.names = body[:n*20]
	x.offsets = body[n*24 : n*28]
	x.large = body[n*28:]
	return x, nil
}

// find returns the pack offset of object h.
func (x *index) find(h backend.Hash) (int64, bool) {
	lo, hi := 0, int(x.fanout[h[0]])
	if h[0] > 0 {
		lo = int(x.fanout[h[0]-1])
	}
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		switch c := bytes.Compare(x.names[m*20:m*20+20], h[:]); {
		case c == 0:
			off := binary.BigEndian.Uint32(x.offsets[m*4:])
			if off&0x80000000 == 0 {
				return int64(off), true
			}
			i := int(off &^ 0x80000000)
			if 8*i+8 > len(x.large) {
				return 0, false
			}
			return int64(binary.BigEndian.Uint64(x.large[8*i:])), true
		case c < 0:
			lo = m + 1
		default:
			hi = m
		}
	}
	return 0, false
}

// findPrefix calls add for each object whose hex name starts with prefix.
func (x *index) findPrefix(prefix string, add func(backend.Hash)) {
	first, err := strconv.ParseUint(prefix[:2], 16, 8)
	if err != nil {
		return
	}
	lo, hi := 0, int(x.fanout[first])
	if first > 0 {
		lo = int(x.fanout[first-1])
	}
	for i := lo; i < hi; i++ {
		var h backend.Hash
		copy(h[:], x.names[i*20:])
		if strings.HasPrefix(h.String(), prefix) {
			add(h)
		}
	}
}

// Pack entry types beyond the four object types (gitformat-pack).
const (
	objOfsDelta = 6
	objRefDelta = 7
)

// maxDeltaChain bounds delta resolution; git's default depth is 50 and
// --depth is capped at 4095.
const maxDeltaChain = 4096

// object reads the object at offset off, resolving delta chains; REF_DELTA
// bases may live anywhere in the repository.
func (p *pack) object(r *Repo, off int64) (backend.Object, error) {
	var deltas [][]byte
	for range maxDeltaChain {
		p.basesMu.Lock()
		base, cached := p.bases[off]
		p.basesMu.Unlock()
		if cached {
			return applyDeltas(base, deltas)
		}
		typ, data, baseOff, baseHash, err := p.entry(off)
		if err != nil {
			return backend.Object{}, err
		}
		switch typ {
		case objOfsDelta:
			deltas = append(deltas, data)
			off = baseOff
		case objRefDelta:
			deltas = append(deltas, data)
			base, err := r.GetObject(baseHash)
			if err != nil {
				return backend.Object{}, fmt.Errorf("delta base %s: %w", baseHash, err)
			}
			return applyDeltas(base, deltas)
		default:
			o := backend.Object{Type: backend.ObjectType(typ), Data: data}
			if len(deltas) > 0 {
				p.basesMu.Lock()
				if len(p.bases) > 256 {
					clear(p.bases)
				}
				p.bases[off] = o
				p.basesMu.Unlock()
			}
			return applyDeltas(o, deltas)
		}
	}
	return backend.Object{}, errors.New("pack: delta chain too long")
}

func applyDeltas(base backend.Object, deltas [][]byte) (backend.Object, error) {
	data := base.Data
	for i := len(deltas) - 1; i >= 0; i-- {
		var err error
		if data, err = applyDelta(data, deltas[i]); err != nil {
			return backend.Object{}, err
		}
	}
	return backend.Object{Type: base.Type, Data: data}, nil
}

// entry reads the pack entry at off: its type, inflated data, and for
// deltas the base's offset or name.
func (p *pack) entry(off int64) (int, []byte, int64, backend.Hash, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.data == nil {
		return 0, nil, 0, backend.Hash{}, fs.ErrClosed
	}
	typ, size, hdrLen, baseOff, baseHash, err := parseEntryHeader(p.data, off)
	if err != nil {
		return 0, nil, 0, backend.Hash{}, err
	}
	data, err := inflate(bytes.NewReader(p.data[off+int64(hdrLen):len(p.data)-20]), size)
	if err != nil {
		return 0, nil, 0, backend.Hash{}, fmt.Errorf("pack entry at %d: %w", off, err)
	}
	return typ, data, baseOff, baseHash, nil
}

// parseEntryHeader decodes the header of the pack entry at off in pack:
// type, inflated size, header length, and a delta's base.
func parseEntryHeader(pack []byte, off int64) (typ int, size int64, n int, baseOff int64, baseHash backend.Hash, err error) {
	if off < 12 || off >= int64(len(pack))-20 {
		return 0, 0, 0, 0, baseHash, fmt.Errorf("pack entry offset %d out of range", off)
	}
	b := pack[off : len(pack)-20]
	b = b[:min(len(b), 32)]
	bad := func(what string) (int, int64, int, int64, backend.Hash, error) {
		return 0, 0, 0, 0, backend.Hash{}, fmt.Errorf("pack entry at %d: %s", off, what)
	}
	typ = int(b[0]>>4) & 7
	size = int64(b[0] & 0x0f)
	i, shift := 1, 4
	for b[i-1]&0x80 != 0 {
		if i >= len(b) || shift > 56 {
			return bad("bad header")
		}
		size |= int64(b[i]&0x7f) << shift
		shift += 7
		i++
	}
	if size > maxObjectSize {
		return bad("object too large")
	}
	switch typ {
	case objOfsDelta:
		// Offset encoding: big-endian base-128 with 1 added per
		// continuation byte (gitformat-pack, "offset encoding").
		if i >= len(b) {
			return bad("bad delta offset")
		}
		c := b[i]
		i++
		rel := int64(c & 0x7f)
		for c&0x80 != 0 {
			if i >= len(b) || rel > 1<<48 {
				return bad("bad delta offset")
			}
			c = b[i]
			i++
			rel = (rel+1)<<7 | int64(c&0x7f)
		}
		baseOff = off - rel
		if rel <= 0 || baseOff < 12 {
			return bad("bad delta offset")
		}
	case objRefDelta:
		if i+20 > len(b) {
			return bad("truncated delta base")
		}
		copy(baseHash[:], b[i:i+20])
		i += 20
	case int(backend.CommitObject), int(backend.TreeObject), int(backend.BlobObject), int(backend.TagObject):
	default:
		return bad(fmt.Sprintf("bad type %d", typ))
	}
	return typ, size, i, baseOff, baseHash, nil
}

// inflaters recycles zlib readers: a new one allocates tens of
// kilobytes, more than most objects.
var inflaters sync.Pool

// inflate reads size bytes of zlib data from r.
func inflate(r *bytes.Reader, size int64) ([]byte, error) {
	var zr io.ReadCloser
	var err error
	if pooled, ok := inflaters.Get().(io.ReadCloser); ok {
		zr, err = pooled, pooled.(zlib.Resetter).Reset(r, nil)
	} else {
		zr, err = zlib.NewReader(r)
	}
	if err != nil {
		return nil, err
	}
	defer inflaters.Put(zr)
	return readN(zr, size)
}

// applyDelta applies a Git delta (gitformat-pack, "deltified
// representation") to base.
func applyDelta(base, delta []byte) ([]byte, error) {
	bad := errors.New("pack: corrupt delta")
	varint := func() (int, bool) {
		v, shift := 0, 0
		for {
			if len(delta) == 0 || shift > 56 {
				return 0, false
			}
			c := delta[0]
			delta = delta[1:]
			v |= int(c&0x7f) << shift
			shift += 7
			if c&0x80 == 0 {
				return v, true
			}
		}
	}
	srcSize, ok1 := varint()
	dstSize, ok2 := varint()
	if !ok1 || !ok2 || srcSize != len(base) || dstSize > maxObjectSize {
		return nil, bad
	}
	out := make([]byte, 0, min(dstSize, len(base)+len(delta)*128)) // grows as needed
	for len(delta) > 0 {
		op := delta[0]
		delta = delta[1:]
		if op&0x80 == 0 {
			n := int(op)
			if n == 0 || n > len(delta) {
				return nil, bad
			}
			out = append(out, delta[:n]...)
			delta = delta[n:]
			continue
		}
		var off, size int
		for k := range 7 {
			if op&(1<<k) == 0 {
				continue
			}
			if len(delta) == 0 {
				return nil, bad
			}
			if k < 4 {
				off |= int(delta[0]) << (8 * k)
			} else {
				size |= int(delta[0]) << (8 * (k - 4))
			}
			delta = delta[1:]
		}
		if size == 0 {
			size = 0x10000
		}
		if off+size > len(base) || len(out)+size > dstSize {
			return nil, bad
		}
		out = append(out, base[off:off+size]...)
	}
	if len(out) != dstSize {
		return nil, bad
	}
	return out, nil
}
