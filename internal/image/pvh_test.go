package image

import (
	"bytes"
	"debug/elf"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// link builds a trivial linux/amd64 program with the given linker flags.
func link(t *testing.T, ldflags string) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte("package main\n\nfunc main() { println(\"hi\") }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "prog")
	cmd := exec.Command("go", "build", "-o", out, "-ldflags", ldflags, src)
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0", "GOFLAGS=", "GOTOOLCHAIN=local")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build -ldflags %q: %v\n%s", ldflags, err, msg)
	}
	return out
}

func TestPatchPVHOnLinkedBinary(t *testing.T) {
	prog := link(t, LinkFlags("_rt0_amd64_linux"))
	before, err := os.ReadFile(prog)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := PVHEntry(prog); err == nil {
		t.Fatalf("PVHEntry(unpatched) succeeded, want an error")
	}
	if err := PatchPVH(prog); err != nil {
		t.Fatalf("PatchPVH: %v", err)
	}
	after, err := os.ReadFile(prog)
	if err != nil {
		t.Fatal(err)
	}
	ef, err := elf.Open(prog)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	sec := ef.Section(buildIDSection)
	got, err := PVHEntry(prog)
	if err != nil || got != ef.Entry {
		t.Fatalf("PVHEntry(patched) = %#x, %v, want %#x", got, err, ef.Entry)
	}
	if ef.Entry < 0x100000 {
		t.Errorf("entry %#x is below the 1 MiB load address", ef.Entry)
	}
	// Only the note and the size fields of the PT_NOTE program header may
	// change, and that segment must now cover the PVH note.
	if len(before) != len(after) {
		t.Fatalf("size changed from %d to %d", len(before), len(after))
	}
	lo, hi := int(sec.Offset), int(sec.Offset)+noteSize
	var covered bool
	var phLo, phHi int
	for i, p := range ef.Progs {
		if p.Type == elf.PT_NOTE && sec.Offset >= p.Off && sec.Offset+noteSize <= p.Off+p.Filesz {
			covered = true
			phLo = ehdrSize + i*phdrSize + 32 // p_filesz and p_memsz
			phHi = phLo + 16
		}
	}
	if !covered {
		t.Fatalf("no PT_NOTE segment covers the PVH note at %#x", sec.Offset)
	}
	for i := range before {
		if before[i] != after[i] && (i < lo || i >= hi) && (i < phLo || i >= phHi) {
			t.Fatalf("byte %#x changed outside the note [%#x,%#x) and the PT_NOTE sizes", i, lo, hi)
		}
	}
	if !bytes.Equal(after[lo:hi], pvhNote(ef.Entry)) {
		t.Errorf("note = %x, want %x", after[lo:hi], pvhNote(ef.Entry))
	}
	// Patching again changes nothing.
	if err := PatchPVH(prog); err != nil {
		t.Fatalf("second PatchPVH: %v", err)
	}
	again, _ := os.ReadFile(prog)
	if !bytes.Equal(again, after) {
		t.Errorf("second PatchPVH changed the file")
	}
}

func TestPatchPVHNeedsBuildIDNote(t *testing.T) {
	prog := link(t, "-B 0x0102") // a 2-byte build id: too short for an address
	if err := PatchPVH(prog); !errors.Is(err, ErrNoNote) {
		t.Errorf("PatchPVH(2-byte build id) = %v, want ErrNoNote", err)
	}
	if err := PatchPVH(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Errorf("PatchPVH(missing file) succeeded")
	}
}

func TestProbeELF(t *testing.T) {
	var p Probe
	data := p.Write(PortStdout, "K").Exit(0).ELF()
	path := filepath.Join(t.TempDir(), "probe")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	ef, err := elf.Open(path)
	if err != nil {
		t.Fatalf("probe is not a valid ELF: %v", err)
	}
	defer ef.Close()
	if ef.Machine != elf.EM_X86_64 || ef.Type != elf.ET_EXEC || len(ef.Progs) != 2 {
		t.Fatalf("probe ELF: machine %v type %v %d segments", ef.Machine, ef.Type, len(ef.Progs))
	}
	entry, err := PVHEntry(path)
	if err != nil || entry != ef.Entry {
		t.Fatalf("PVHEntry(probe) = %#x, %v, want %#x", entry, err, ef.Entry)
	}
	load := ef.Progs[0]
	if entry < load.Vaddr || entry >= load.Vaddr+load.Memsz {
		t.Errorf("entry %#x outside the loaded segment [%#x,%#x)", entry, load.Vaddr, load.Vaddr+load.Memsz)
	}
	// The code at the entry starts by loading COM1's port into DX.
	code := data[entry-loadAddr:]
	if want := []byte{0x66, 0xba, 0xf8, 0x03, 0xb0, 'K', 0xee}; !bytes.HasPrefix(code, want) {
		t.Errorf("code at entry = % x, want prefix % x", code[:len(want)], want)
	}
}

func FuzzFindPVHNote(f *testing.F) {
	f.Add(pvhNote(0x100000))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 8, 0, 0, 0, 18, 0, 0, 0, 'X', 'e', 'n', 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		findPVHNote(data) // must not panic on any input
	})
}
