//go:build !gobisandbox

package kernel

import "github.com/gobi-os/gobi/kernel/memfs"

// /proc/self/maps (proc(5)), made afresh each time it is opened: the
// image's segments, named by the program's path as /proc/self/exe is, and
// then the program's own mappings, in address order and Linux's format.
// runtime/pprof reads it for a profile's mappings.

const procMaps = "/proc/self/maps"

// mapsBuf holds the text; the mappings that do not fit are left out.
var mapsBuf [64 << 10]byte

// refreshProc rewrites the /proc file at path if it is one made on open.
func refreshProc(path string) {
	if path != procMaps {
		return
	}
	n := 0
	exe := cstring(argBuf[:])
	line := func(start, end, off uintptr, r, w, x bool, name string) {
		var l [160]byte
		k := putHex(l[:], uint64(start), 8)
		l[k] = '-'
		k++
		k += putHex(l[k:], uint64(end), 8)
		l[k] = ' '
		k++
		for _, p := range [3]struct {
			on bool
			c  byte
		}{{r, 'r'}, {w, 'w'}, {x, 'x'}} {
			l[k] = '-'
			if p.on {
				l[k] = p.c
			}
			k++
		}
		l[k], l[k+1] = 'p', ' '
		k += 2
		k += putHex(l[k:], uint64(off), 8)
		k += copy(l[k:], " 00:00 0 ")
		if name != "" {
			for k < 73 {
				l[k] = ' '
				k++
			}
			k += copy(l[k:min(len(l)-1, k+len(name))], name)
		}
		l[k] = '\n'
		k++
		if n+k <= len(mapsBuf) {
			n += copy(mapsBuf[n:], l[:k])
		}
	}
	imageSegments(textStart()-pageSize, func(start, end, off uintptr, pflags uint32) {
		line(start, end, off, pflags&4 != 0, pflags&2 != 0, pflags&1 != 0, exe)
	})
	for i := 0; i < nVMAs; i++ {
		v := &vmas[i]
		line(v.start, v.end, 0, v.prot&protRead != 0, v.prot&protWrite != 0, v.prot&protExec != 0, "")
	}
	memfs.WriteFile(procMaps, mapsBuf[:n], 0o444)
}

// putHex writes v in lower-case hex, at least digits wide, and returns the
// length.
func putHex(b []byte, v uint64, digits int) int {
	n := 1
	for t := v >> 4; t != 0; t >>= 4 {
		n++
	}
	n = max(n, digits)
	for i := n - 1; i >= 0; i-- {
		b[i] = "0123456789abcdef"[v&15]
		v >>= 4
	}
	return n
}
