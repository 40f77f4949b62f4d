//go:build !gobisandbox

package kernel

import "github.com/gobi-os/gobi/kernel/memfs"

// /proc/self/maps (proc(5)), made afresh each time it is opened, by
// whatever path: the image's segments, named by the program's path as
// /proc/self/exe is, and then the program's own mappings, in address order
// and Linux's format. runtime/pprof reads it for a profile's mappings.

const procMaps = "/proc/self/maps"

var (
	// mapsBuf holds the text; the mappings that do not fit are left out.
	mapsBuf [64 << 10]byte
	mapsIno uint64 // the file's node, which refreshOpened watches for
)

// setupProcMaps creates the (empty) file at boot.
func setupProcMaps() { mapsIno = makeOnOpen(procMaps, 0o444) }

// refreshOpened rewrites the file f was just opened on if it is made on
// open (this one, or those of procself.go): the open file reads the node's
// new contents.
func refreshOpened(f memfs.File) {
	if refreshProcFile(f) || mapsIno == 0 || memfs.Ino(f) != mapsIno {
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
		perms := [5]byte{'-', '-', '-', 'p', ' '} // private mappings only
		if r {
			perms[0] = 'r'
		}
		if w {
			perms[1] = 'w'
		}
		if x {
			perms[2] = 'x'
		}
		k += copy(l[k:], perms[:])
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

// writeEnviron writes the program's environment, as /proc/self/environ
// holds it: each string NUL-terminated. The VM's came on the boot command
// line (gobi.env).
func writeEnviron(t *text) { t.s(unsafeString(argBuf[envOff:argLen])) }
