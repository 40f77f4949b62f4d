package vm

import (
	"debug/elf"
	"fmt"
	"sort"
)

// symbolTable names code addresses from an image's ELF symbol table, for
// the return addresses in a kernel fault report ("kernel stack: ...").
type symbolTable struct {
	addrs []uint64 // function start addresses, ascending
	syms  []elf.Symbol
}

// loadSymbols reads the function symbols of the ELF file at path. It
// returns nil when there are none (an image linked with -ldflags=-s).
func loadSymbols(path string) *symbolTable {
	f, err := elf.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	all, err := f.Symbols()
	if err != nil {
		return nil
	}
	t := &symbolTable{}
	for _, s := range all {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Value != 0 {
			t.syms = append(t.syms, s)
		}
	}
	if len(t.syms) == 0 {
		return nil
	}
	sort.Slice(t.syms, func(i, j int) bool { return t.syms[i].Value < t.syms[j].Value })
	t.addrs = make([]uint64, len(t.syms))
	for i, s := range t.syms {
		t.addrs[i] = s.Value
	}
	return t
}

// name returns "function+0xoffset" for addr, or "?" outside every
// function. The addresses after the first are return addresses, which
// point just past their call.
func (t *symbolTable) name(addr uint64) string {
	i := sort.Search(len(t.addrs), func(i int) bool { return t.addrs[i] > addr }) - 1
	if i < 0 {
		return "?"
	}
	s := t.syms[i]
	if s.Size != 0 && addr >= s.Value+s.Size {
		return "?"
	}
	return fmt.Sprintf("%s+%#x", s.Name, addr-s.Value)
}
