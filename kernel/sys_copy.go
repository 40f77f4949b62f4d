package kernel

import "github.com/gobi-os/gobi/kernel/memfs"

// In-kernel copies: sendfile(2) and copy_file_range(2) from a regular file,
// through a bounce buffer (memfs data is not page-aligned to share), and
// splice(2), which answers EINVAL: Linux's answer for descriptors splice does
// not support, on which the Go runtime falls back to read and write.

var bounce [65536]byte

// copyOut moves up to n bytes from memfs file in (at *off, or its offset
// when off is nil) through write, which answers as write(2) does, stopping at
// the first short write. Bytes read but not written are given back.
func copyOut(in memfs.File, off *int64, n uint64, write func([]byte) uint64) uint64 {
	var total uint64
	for total < n {
		chunk := uint64(len(bounce))
		if n-total < chunk {
			chunk = n - total
		}
		var k int
		var er memfs.Errno
		if off != nil {
			k, er = memfs.Pread(in, bounce[:chunk], *off)
		} else {
			k, er = memfs.Read(in, bounce[:chunk])
		}
		if er != 0 {
			if total > 0 {
				return total
			}
			return errno(int(er))
		}
		if k == 0 {
			break
		}
		w := write(bounce[:k])
		if w == noReturn || int64(w) < 0 {
			// Nothing of this chunk went out: give the bytes back.
			if off == nil {
				memfs.Seek(in, -int64(k), memfs.SEEK_CUR)
			}
			if total > 0 {
				if w == noReturn {
					unblockCurrent()
				}
				return total
			}
			return w
		}
		if off != nil {
			*off += int64(w)
		} else if int(w) < k {
			memfs.Seek(in, int64(w)-int64(k), memfs.SEEK_CUR)
		}
		total += w
		if int(w) < k {
			break
		}
	}
	return total
}

// writeKernel writes kernel bytes to descriptor fd as write(2) would.
func writeKernel(fd uint64, b []byte, nr uint64) uint64 {
	e, ok := getFD(fd)
	if !ok {
		return errno(eBADF)
	}
	switch e.kind {
	case fdFile:
		f := memfs.File(e.obj)
		if dev, isDev := memfs.Device(f); isDev {
			if dev == memfs.DevStdout || dev == memfs.DevStderr {
				consoleWrite(dev, b)
			}
			return uint64(len(b))
		}
		k, er := memfs.Write(f, b)
		if er != 0 {
			return errno(int(er))
		}
		return uint64(k)
	case fdPipeWrite:
		return pipeWrite(int(e.obj), b, nr)
	case fdSocket:
		return sockSend(int(e.obj), b, 0, 0, 0, nr)
	}
	return errno(eINVAL)
}

// regularFile returns the memfs file behind fd if it is a regular file.
func regularFile(fd uint64) (memfs.File, uint64) {
	e, ok := getFD(fd)
	if !ok {
		return 0, errno(eBADF)
	}
	if e.kind != fdFile {
		return 0, errno(eINVAL)
	}
	f := memfs.File(e.obj)
	if _, isDev := memfs.Device(f); isDev {
		return 0, errno(eINVAL)
	}
	return f, 0
}

func sysSendfile(out, in, offp, n, nr uint64) uint64 {
	f, r := regularFile(in)
	if r != 0 {
		return r
	}
	if _, ok := getFD(out); !ok {
		return errno(eBADF)
	}
	if n > maxIO {
		n = maxIO
	}
	write := func(b []byte) uint64 { return writeKernel(out, b, nr) }
	if offp == 0 {
		return copyOut(f, nil, n, write)
	}
	if !userOK(uintptr(offp), 8, true) {
		return errno(eFAULT)
	}
	off := *ptr[int64](uintptr(offp))
	if off < 0 {
		return errno(eINVAL)
	}
	res := copyOut(f, &off, n, write)
	*ptr[int64](uintptr(offp)) = off
	return res
}

func sysCopyFileRange(in, offIn, out, offOut, n, flags, nr uint64) uint64 {
	if flags != 0 {
		return errno(eINVAL)
	}
	fin, r := regularFile(in)
	if r != 0 {
		return r
	}
	fout, r := regularFile(out)
	if r != 0 {
		return r
	}
	if n > maxIO {
		n = maxIO
	}
	if sameRangeOverlap(fin, fout, offIn, offOut, n) {
		return errno(eINVAL) // as Linux: a file copied onto itself, overlapping
	}
	var inOff, outOff *int64
	var inV, outV int64
	if offIn != 0 {
		if !userOK(uintptr(offIn), 8, true) {
			return errno(eFAULT)
		}
		inV = *ptr[int64](uintptr(offIn))
		inOff = &inV
	}
	if offOut != 0 {
		if !userOK(uintptr(offOut), 8, true) {
			return errno(eFAULT)
		}
		outV = *ptr[int64](uintptr(offOut))
		outOff = &outV
	}
	total := copyOut(fin, inOff, n, func(b []byte) uint64 {
		var w int
		var er memfs.Errno
		if outOff != nil {
			w, er = memfs.Pwrite(fout, b, *outOff)
			*outOff += int64(w)
		} else {
			w, er = memfs.Write(fout, b)
		}
		if er != 0 {
			return errno(int(er))
		}
		return uint64(w)
	})
	if inOff != nil {
		*ptr[int64](uintptr(offIn)) = inV
	}
	if outOff != nil {
		*ptr[int64](uintptr(offOut)) = outV
	}
	return total
}

// sameRangeOverlap reports whether in and out are the same file and the n
// bytes to copy from one position overlap those at the other.
func sameRangeOverlap(in, out memfs.File, offIn, offOut, n uint64) bool {
	var a, b memfs.Stat
	if memfs.Fstat(in, &a) != 0 || memfs.Fstat(out, &b) != 0 || a.Ino != b.Ino {
		return false
	}
	pos := func(f memfs.File, p uint64) int64 {
		if p != 0 && userOK(uintptr(p), 8, false) {
			return *ptr[int64](uintptr(p))
		}
		cur, _ := memfs.Seek(f, 0, memfs.SEEK_CUR)
		return cur
	}
	d := pos(in, offIn) - pos(out, offOut)
	if d < 0 {
		d = -d
	}
	return uint64(d) < n
}
