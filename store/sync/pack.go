package sync

import (
	"bufio"
	"compress/zlib"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"hash"
	"io"

	"github.com/go-git/go-git/v5/plumbing/format/packfile"
)

// Pack entry types (gitformat-pack: "Object types").
const refDelta = 7

// minDeltaSize is the smallest object worth a delta: below it the 20-byte
// base name eats the saving.
const minDeltaSize = 64

// WritePack writes objs as a packfile, version 2 (gitformat-pack(5)). An
// object whose base is in the pack, or — when thin is set, because the
// receiver said it can resolve them ("thin-pack" in gitprotocol-capabilities)
// — whose base the receiver has, is written as a REF_DELTA against it if
// that is smaller. A changed directory then costs about its changed entries,
// not its size, so sync bytes follow the change.
func (r *Repo) WritePack(w io.Writer, objs *Objects, thin bool) error {
	pw := &packWriter{w: bufio.NewWriterSize(w, 64<<10), sum: sha1.New()}
	if err := pw.header(len(objs.Hashes)); err != nil {
		return err
	}
	for _, h := range objs.Hashes {
		o, err := r.objs.get(h)
		if err != nil {
			return fmt.Errorf("packing %s: %w", h, err)
		}
		if base, ok := objs.bases[h]; ok && len(o.Data) >= minDeltaSize && (thin || objs.sent[base]) {
			if b, err := r.objs.get(base); err == nil {
				delta := packfile.DiffDelta(b.Data, o.Data)
				if len(delta) < len(o.Data)/2 {
					if err := pw.entry(refDelta, base[:], delta); err != nil {
						return err
					}
					continue
				}
			}
		}
		if err := pw.entry(int(o.Type), nil, o.Data); err != nil {
			return err
		}
	}
	return pw.trailer()
}

// packWriter writes pack entries and keeps the running SHA-1 the trailer
// holds.
type packWriter struct {
	w   *bufio.Writer
	sum hash.Hash
	z   *zlib.Writer
}

func (p *packWriter) write(b []byte) error {
	p.sum.Write(b)
	_, err := p.w.Write(b)
	return err
}

func (p *packWriter) header(n int) error {
	var b [12]byte
	copy(b[:], "PACK")
	binary.BigEndian.PutUint32(b[4:], 2)
	binary.BigEndian.PutUint32(b[8:], uint32(n))
	return p.write(b[:])
}

// entry writes one object: the type-and-size header (size in 7-bit groups
// after the first 4 bits), the base name for a REF_DELTA, and the zlib
// stream of data.
func (p *packWriter) entry(typ int, base []byte, data []byte) error {
	size := len(data)
	hdr := []byte{byte(typ<<4) | byte(size&0x0f)}
	for size >>= 4; size > 0; size >>= 7 {
		hdr[len(hdr)-1] |= 0x80
		hdr = append(hdr, byte(size&0x7f))
	}
	if err := p.write(hdr); err != nil {
		return err
	}
	if base != nil {
		if err := p.write(base); err != nil {
			return err
		}
	}
	tee := io.MultiWriter(p.sum, p.w)
	if p.z == nil {
		// Pack entries are mostly small trees and deltas, where the
		// default level costs far more time than it saves bytes.
		p.z, _ = zlib.NewWriterLevel(tee, zlib.BestSpeed)
	} else {
		p.z.Reset(tee)
	}
	if _, err := p.z.Write(data); err != nil {
		return err
	}
	return p.z.Close()
}

func (p *packWriter) trailer() error {
	if _, err := p.w.Write(p.sum.Sum(nil)); err != nil {
		return err
	}
	return p.w.Flush()
}
