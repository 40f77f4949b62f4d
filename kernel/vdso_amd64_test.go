package kernel

import (
	"encoding/binary"
	"testing"
)

// TestVDSO parses the vDSO the way the Go runtime does
// (runtime/vdso_linux.go: program headers, dynamic section, DT_HASH,
// symbol versions) and checks it finds __vdso_clock_gettime at LINUX_2.6.
func TestVDSO(t *testing.T) {
	page := make([]byte, pageSize)
	const base, fn = 0x10000000, 0x200040
	buildVDSO(page, base, fn)
	le := binary.LittleEndian
	phoff, phnum := le.Uint64(page[32:]), int(le.Uint16(page[56:]))
	var loadOffset, dynOff uint64
	found := false
	for i := 0; i < phnum; i++ {
		ph := page[phoff+uint64(i)*56:]
		switch le.Uint32(ph) {
		case 1:
			if !found {
				found = true
				loadOffset = base + le.Uint64(ph[8:]) - le.Uint64(ph[16:])
			}
		case 2:
			dynOff = le.Uint64(ph[8:])
		}
	}
	if !found || dynOff == 0 {
		t.Fatalf("no PT_LOAD or PT_DYNAMIC")
	}
	at := func(vaddr uint64) []byte { return page[loadOffset+vaddr-base:] }
	var strtab, symtab, hash, versym, verdef []byte
	for d := page[dynOff:]; le.Uint64(d) != 0; d = d[16:] {
		v := le.Uint64(d[8:])
		switch le.Uint64(d) {
		case 5:
			strtab = at(v)
		case 6:
			symtab = at(v)
		case 4:
			hash = at(v)
		case 0x6ffffff0:
			versym = at(v)
		case 0x6ffffffc:
			verdef = at(v)
		}
	}
	if strtab == nil || symtab == nil || hash == nil || versym == nil || verdef == nil {
		t.Fatalf("dynamic section lacks a table")
	}
	cstr := func(off uint32) string {
		s := strtab[off:]
		n := 0
		for s[n] != 0 {
			n++
		}
		return string(s[:n])
	}
	version := -1
	for def := verdef; ; {
		if le.Uint16(def[2:])&1 == 0 {
			aux := def[le.Uint32(def[12:]):]
			if le.Uint32(def[8:]) == 0x3ae75f6 && cstr(le.Uint32(aux)) == "LINUX_2.6" {
				version = int(le.Uint16(def[4:]) & 0x7fff)
			}
		}
		next := le.Uint32(def[16:])
		if next == 0 {
			break
		}
		def = def[next:]
	}
	if version < 0 {
		t.Fatalf("version LINUX_2.6 not defined")
	}
	nbucket := le.Uint32(hash)
	const symHash = 0xd35ec75 // the runtime's hash of __vdso_clock_gettime
	var addr uint64
	for i := le.Uint32(hash[8+4*(symHash%nbucket):]); i != 0; i = le.Uint32(hash[8+4*nbucket+4*i:]) {
		sym := symtab[24*i:]
		if sym[4]>>4 != 1 || sym[4]&15 != 2 || le.Uint16(sym[6:]) == 0 {
			continue
		}
		if cstr(le.Uint32(sym)) == "__vdso_clock_gettime" && int(le.Uint16(versym[2*i:])&0x7fff) == version {
			addr = loadOffset + le.Uint64(sym[8:])
		}
	}
	if addr != fn {
		t.Fatalf("__vdso_clock_gettime resolves to %#x, want %#x", addr, fn)
	}
}
