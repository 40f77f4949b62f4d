package gitrepo

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/gobi-os/gobi/store/backend"
)

// writePack writes objs (named hashes) as one new pack and index, makes
// them visible, and compacts small packs if there are many.
func (r *Repo) writePack(objs []backend.Object, hashes []backend.Hash) error {
	err := r.writePackOnly(hashes, func(i int, buf *bytes.Buffer) error {
		return encodeEntry(buf, objs[i])
	})
	if err != nil {
		return err
	}
	return r.maybeCompact()
}

// encodeEntry appends the pack entry of an undeltified object: a header
// with the type in bits 4-6 of the first byte and the size in
// little-endian base-128 starting with its low 4 bits, then the zlib data.
func encodeEntry(buf *bytes.Buffer, o backend.Object) error {
	size := len(o.Data)
	c := byte(o.Type)<<4 | byte(size&0x0f)
	size >>= 4
	for size > 0 {
		buf.WriteByte(c | 0x80)
		c = byte(size & 0x7f)
		size >>= 7
	}
	buf.WriteByte(c)
	return deflate(compressorFor(o.Type), buf, o.Data)
}

// writePackOnly writes a pack of len(hashes) entries, entry i appended to
// a buffer by entry, and its index. Objects are stored whole (no deltas):
// writing is fast, and git gc deltifies later if asked.
func (r *Repo) writePackOnly(hashes []backend.Hash, entry func(i int, buf *bytes.Buffer) error) error {
	dir := filepath.Join(r.dir, "objects", "pack")
	f, err := os.CreateTemp(dir, "tmp_pack_")
	if err != nil {
		return fmt.Errorf("writing pack: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after the rename
	sum, offsets, crcs, err := encodePack(f, len(hashes), entry)
	if err == nil && !r.opts.NoSync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing pack: %w", err)
	}
	idx := encodeIndex(hashes, offsets, crcs, sum)
	base := filepath.Join(dir, fmt.Sprintf("pack-%x", sum))
	if err := os.Chmod(tmp, 0o444); err != nil {
		return err
	}
	// The pack goes first: git and Refresh only use packs that have an
	// index, so a crash between the renames leaves an unused pack.
	if err := os.Rename(tmp, base+".pack"); err != nil {
		return fmt.Errorf("writing pack: %w", err)
	}
	if err := writeFileAtomic(base+".idx", dir, "tmp_idx_", idx, 0o444, !r.opts.NoSync); err != nil {
		return fmt.Errorf("writing pack index: %w", err)
	}
	if !r.opts.NoSync {
		if err := syncDir(dir); err != nil {
			return err
		}
	}
	return r.Refresh()
}

// encodePack writes a version 2 pack of n entries to w and returns its
// trailing checksum, each entry's offset and CRC-32.
func encodePack(w io.Writer, n int, entry func(i int, buf *bytes.Buffer) error) ([20]byte, []int64, []uint32, error) {
	h := sha1.New()
	cw := &countWriter{w: bufio.NewWriterSize(io.MultiWriter(w, h), 1<<20)}
	var hdr [12]byte
	copy(hdr[:], "PACK")
	binary.BigEndian.PutUint32(hdr[4:], 2)
	binary.BigEndian.PutUint32(hdr[8:], uint32(n))
	cw.Write(hdr[:])
	offsets := make([]int64, n)
	crcs := make([]uint32, n)
	var buf bytes.Buffer
	for i := range n {
		buf.Reset()
		if err := entry(i, &buf); err != nil {
			return [20]byte{}, nil, nil, err
		}
		offsets[i] = cw.n
		crcs[i] = crc32.ChecksumIEEE(buf.Bytes())
		cw.Write(buf.Bytes())
	}
	if err := cw.w.(*bufio.Writer).Flush(); err != nil {
		return [20]byte{}, nil, nil, err
	}
	if cw.err != nil {
		return [20]byte{}, nil, nil, cw.err
	}
	var sum [20]byte
	h.Sum(sum[:0])
	if _, err := w.Write(sum[:]); err != nil {
		return [20]byte{}, nil, nil, err
	}
	return sum, offsets, crcs, nil
}

type countWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}

// encodeIndex builds a version 2 pack index (gitformat-pack, "pack-*.idx
// files have the following format").
func encodeIndex(hashes []backend.Hash, offsets []int64, crcs []uint32, packSum [20]byte) []byte {
	order := make([]int, len(hashes))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return bytes.Compare(hashes[a][:], hashes[b][:]) })
	be := binary.BigEndian
	b := make([]byte, 0, 8+256*4+len(hashes)*28+40)
	b = append(b, idxMagic...)
	b = be.AppendUint32(b, 2)
	var fanout [256]uint32
	for _, h := range hashes {
		fanout[h[0]]++
	}
	for i := range fanout {
		if i > 0 {
			fanout[i] += fanout[i-1]
		}
		b = be.AppendUint32(b, fanout[i])
	}
	for _, i := range order {
		b = append(b, hashes[i][:]...)
	}
	for _, i := range order {
		b = be.AppendUint32(b, crcs[i])
	}
	var large []uint64
	for _, i := range order {
		off := offsets[i]
		if off < 1<<31 {
			b = be.AppendUint32(b, uint32(off))
			continue
		}
		b = be.AppendUint32(b, uint32(len(large))|1<<31)
		large = append(large, uint64(off))
	}
	for _, off := range large {
		b = be.AppendUint64(b, off)
	}
	b = append(b, packSum[:]...)
	sum := sha1.Sum(b)
	return append(b, sum[:]...)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
