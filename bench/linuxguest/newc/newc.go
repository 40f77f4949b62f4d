// Package newc writes cpio archives in the "newc" (SVR4, magic 070701) format,
// the only format the Linux kernel unpacks into its initramfs
// (Documentation/driver-api/early-userspace/buffer-format.rst).
//
// It is a host-side helper of the benchmarks' Linux baseline guest. It exists
// because the cpio libraries on the Go module proxy do not write a device
// node's rdevmajor/rdevminor fields, and an initramfs needs /dev/console
// (character device 5:1) so that the kernel can give /init its stdio.
package newc

import (
	"fmt"
	"io"
	"io/fs"
	"math"
	"strings"
)

// File-type bits of the c_mode field, as in stat(2)'s st_mode.
const (
	modeDir     = 0o040000
	modeRegular = 0o100000
	modeCharDev = 0o020000
)

// trailerName marks the end of the archive.
const trailerName = "TRAILER!!!"

// Writer writes one archive. Entries are written in the order they are added;
// a directory must be added before the entries inside it, as the kernel does
// not create missing parents. Close writes the trailer.
type Writer struct {
	w      io.Writer
	inode  uint32
	err    error
	closed bool
}

// NewWriter returns a Writer that writes the archive to w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: w}
}

// header holds the newc header fields an initramfs needs; the others (owner,
// mtime, the device holding the file) are written as zero: root-owned, epoch.
type header struct {
	name      string
	mode      uint32
	nlink     uint32
	size      int
	rdevMajor uint32
	rdevMinor uint32
}

// Dir adds a directory.
func (w *Writer) Dir(name string, perm fs.FileMode) error {
	return w.entry(header{name: name, mode: modeDir | uint32(perm.Perm()), nlink: 2}, nil)
}

// File adds a regular file holding data.
func (w *Writer) File(name string, perm fs.FileMode, data []byte) error {
	return w.entry(header{name: name, mode: modeRegular | uint32(perm.Perm()), nlink: 1, size: len(data)}, data)
}

// CharDev adds a character device node with the given major and minor numbers.
func (w *Writer) CharDev(name string, perm fs.FileMode, major, minor uint32) error {
	return w.entry(header{name: name, mode: modeCharDev | uint32(perm.Perm()), nlink: 1, rdevMajor: major, rdevMinor: minor}, nil)
}

// Close writes the trailer entry. It does not close the underlying writer.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.err != nil {
		return w.err
	}
	// The trailer has inode 0 and no data.
	return w.write(header{name: trailerName, nlink: 1}, 0, nil)
}

// entry checks and numbers one entry and writes it.
func (w *Writer) entry(h header, data []byte) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return fmt.Errorf("newc: adding %q after Close", h.name)
	}
	if err := checkName(h.name); err != nil {
		return err
	}
	if uint64(h.size) > math.MaxUint32 {
		return fmt.Errorf("newc: %q is %d bytes, more than the format's 4 GiB limit", h.name, h.size)
	}
	w.inode++
	return w.write(h, w.inode, data)
}

// write writes one header, the name and the data, each padded to a multiple
// of four bytes counted from the start of the archive (the header is 110
// bytes, so the name is padded together with the header).
func (w *Writer) write(h header, ino uint32, data []byte) error {
	var b strings.Builder
	b.WriteString("070701")
	for _, v := range []uint32{
		ino, h.mode,
		0, 0, // c_uid, c_gid: root
		h.nlink,
		0, // c_mtime
		uint32(h.size),
		0, 0, // c_devmajor, c_devminor: the device the file lived on
		h.rdevMajor, h.rdevMinor,
		uint32(len(h.name) + 1), // c_namesize counts the terminating NUL
		0,                       // c_check is only used by the "crc" format
	} {
		fmt.Fprintf(&b, "%08x", v)
	}
	b.WriteString(h.name)
	b.WriteByte(0)
	b.WriteString(pad(b.Len()))
	b.Write(data)
	b.WriteString(pad(len(data)))
	if _, err := io.WriteString(w.w, b.String()); err != nil {
		w.err = fmt.Errorf("newc: writing %q: %w", h.name, err)
		return w.err
	}
	return nil
}

// checkName rejects names the kernel would not unpack where the caller meant:
// they are relative to the archive root, so no leading slash, no "..", no
// empty components.
func checkName(name string) error {
	if name == trailerName || strings.HasPrefix(name, "/") || strings.HasSuffix(name, "/") {
		return fmt.Errorf("newc: bad entry name %q: want a relative path such as \"dev/console\"", name)
	}
	for _, part := range strings.Split(name, "/") {
		if part == "" || part == "." || part == ".." {
			return fmt.Errorf("newc: bad entry name %q: want a clean relative path", name)
		}
	}
	return nil
}

// pad returns the NUL bytes that bring n up to a multiple of four.
func pad(n int) string {
	return "\x00\x00\x00"[:(4-n%4)%4]
}
