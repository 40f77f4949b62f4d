package image

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// Note types and names from xen/include/public/elfnote.h and the ELF gABI.
const (
	noteTypeGNUBuildID  = 3  // NT_GNU_BUILD_ID
	noteTypePVHEntry    = 18 // XEN_ELFNOTE_PHYS32_ENTRY
	buildIDSection      = ".note.gnu.build-id"
	noteHeaderSize      = 12 // namesz, descsz, type: three 32-bit words
	noteNameSize        = 4  // "GNU\0" and "Xen\0" are both four bytes
	noteDescSize        = 8  // the -B 0x<16 hex digits> build id, later the entry address
	placeholderBuildIDs = "-B 0x0000000000000000"
)

// LinkFlags are the go linker flags every image is linked with: the kernel's
// entry symbol, text at 2 MiB (the boot code uses scratch memory at 1 MiB:
// docs/hostabi.md), 4 KiB segment rounding and an 8-byte build-id note that
// PatchPVH later turns into the PVH entry note.
func LinkFlags(entrySymbol string) string {
	return "-E " + entrySymbol + " -T 0x200000 -R 0x1000 " + placeholderBuildIDs
}

// ErrNoNote means the executable has no 8-byte GNU build-id note to rewrite,
// which happens when it was not linked with LinkFlags.
var ErrNoNote = errors.New("no 8-byte GNU build-id note: link with " + placeholderBuildIDs)

// PatchPVH rewrites the GNU build-id note of the x86-64 ELF executable at
// path into a PVH entry note pointing at the ELF entry address. The note keeps
// its sizes (name 4 bytes, descriptor 8 bytes), so no other byte of the file
// moves. Patching an already patched image is a no-op.
func PatchPVH(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	ef, err := elf.NewFile(f)
	if err != nil {
		return fmt.Errorf("reading ELF %s: %w", path, err)
	}
	if ef.Class != elf.ELFCLASS64 || ef.Machine != elf.EM_X86_64 || ef.Type != elf.ET_EXEC {
		return fmt.Errorf("%s: not an x86-64 ELF executable (%v %v %v)", path, ef.Class, ef.Machine, ef.Type)
	}
	sec := ef.Section(buildIDSection)
	if sec == nil {
		return fmt.Errorf("%s: %w", path, ErrNoNote)
	}
	var hdr [noteHeaderSize + noteNameSize]byte
	if _, err := f.ReadAt(hdr[:], int64(sec.Offset)); err != nil {
		return fmt.Errorf("reading %s note: %w", path, err)
	}
	le := binary.LittleEndian
	namesz, descsz, typ := le.Uint32(hdr[0:]), le.Uint32(hdr[4:]), le.Uint32(hdr[8:])
	name := hdr[noteHeaderSize:]
	switch {
	case namesz == noteNameSize && descsz == noteDescSize && typ == noteTypeGNUBuildID && bytes.Equal(name, []byte("GNU\x00")):
	case namesz == noteNameSize && descsz == noteDescSize && typ == noteTypePVHEntry && bytes.Equal(name, []byte("Xen\x00")):
	default:
		return fmt.Errorf("%s: %w (found name size %d, descriptor size %d, type %d)", path, ErrNoNote, namesz, descsz, typ)
	}
	note := pvhNote(ef.Entry)
	if _, err := f.WriteAt(note, int64(sec.Offset)); err != nil {
		return fmt.Errorf("writing PVH note into %s: %w", path, err)
	}
	if err := coverNote(f, ef, sec.Offset); err != nil {
		return fmt.Errorf("extending the note segment of %s: %w", path, err)
	}
	return f.Close()
}

// coverNote makes a PT_NOTE segment cover the note at off. Go's linker
// gives only its own .note.go.buildid a PT_NOTE segment; the build-id note
// follows it directly, so growing that segment by one note puts the PVH
// note where the ELF gABI says loaders look for notes (QEMU 7.2 happens to
// read past the segment's end; Firecracker and cloud-hypervisor do not).
// An image whose note is covered already is left alone.
func coverNote(f *os.File, ef *elf.File, off uint64) error {
	idx := -1
	for i, p := range ef.Progs {
		switch {
		case p.Type != elf.PT_NOTE:
		case off >= p.Off && off < p.Off+p.Filesz:
			return nil
		case p.Off+p.Filesz == off:
			idx = i
		}
	}
	if idx < 0 {
		return errors.New("no PT_NOTE segment ends where the build-id note starts")
	}
	var ehdr [ehdrSize]byte
	if _, err := f.ReadAt(ehdr[:], 0); err != nil {
		return err
	}
	le := binary.LittleEndian
	phoff, phentsize := le.Uint64(ehdr[32:]), uint64(le.Uint16(ehdr[54:]))
	p := ef.Progs[idx]
	var sizes [16]byte // p_filesz, p_memsz (ELF-64 Object File Format, "Program header table entry")
	le.PutUint64(sizes[0:], p.Filesz+noteSize)
	le.PutUint64(sizes[8:], p.Memsz+noteSize)
	_, err := f.WriteAt(sizes[:], int64(phoff+uint64(idx)*phentsize+32))
	return err
}

// pvhNote encodes the PVH entry note: header, "Xen\0", 8-byte entry address.
func pvhNote(entry uint64) []byte {
	b := make([]byte, 0, noteHeaderSize+noteNameSize+noteDescSize)
	b = binary.LittleEndian.AppendUint32(b, noteNameSize)
	b = binary.LittleEndian.AppendUint32(b, noteDescSize)
	b = binary.LittleEndian.AppendUint32(b, noteTypePVHEntry)
	b = append(b, "Xen\x00"...)
	return binary.LittleEndian.AppendUint64(b, entry)
}

// PVHEntry returns the entry address recorded in the PVH note of the image at
// path, or an error if it has none. Both note sections and note segments
// are searched.
func PVHEntry(path string) (uint64, error) {
	ef, err := elf.Open(path)
	if err != nil {
		return 0, err
	}
	defer ef.Close()
	var blobs []io.ReaderAt
	var sizes []uint64
	for _, s := range ef.Sections {
		if s.Type == elf.SHT_NOTE {
			blobs, sizes = append(blobs, s), append(sizes, s.Size)
		}
	}
	for _, p := range ef.Progs {
		if p.Type == elf.PT_NOTE {
			blobs, sizes = append(blobs, p), append(sizes, p.Filesz)
		}
	}
	for i, r := range blobs {
		data := make([]byte, sizes[i])
		if _, err := r.ReadAt(data, 0); err != nil {
			return 0, fmt.Errorf("reading notes of %s: %w", path, err)
		}
		if entry, ok := findPVHNote(data); ok {
			return entry, nil
		}
	}
	return 0, fmt.Errorf("%s has no PVH entry note: build it with gobi build", path)
}

// findPVHNote walks a sequence of ELF notes for the PVH entry note.
func findPVHNote(data []byte) (uint64, bool) {
	le := binary.LittleEndian
	for len(data) >= noteHeaderSize {
		namesz, descsz, typ := le.Uint32(data[0:]), le.Uint32(data[4:]), le.Uint32(data[8:])
		nameEnd := noteHeaderSize + align4(uint64(namesz))
		descEnd := nameEnd + align4(uint64(descsz))
		if descEnd > uint64(len(data)) {
			break
		}
		if typ == noteTypePVHEntry && string(data[noteHeaderSize:noteHeaderSize+namesz]) == "Xen\x00" {
			switch descsz {
			case 4:
				return uint64(le.Uint32(data[nameEnd:])), true
			case 8:
				return le.Uint64(data[nameEnd:]), true
			}
		}
		data = data[descEnd:]
	}
	return 0, false
}

func align4(n uint64) uint64 { return (n + 3) &^ 3 }
