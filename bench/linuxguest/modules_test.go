package linuxguest

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeModule writes a minimal ELF64 relocatable object whose .modinfo
// section holds the given key=value entries, as a kernel module's does.
func fakeModule(t *testing.T, path string, modinfo ...string) {
	t.Helper()
	info := []byte(strings.Join(modinfo, "\x00") + "\x00")
	shstrtab := []byte("\x00.modinfo\x00.shstrtab\x00")
	const ehsize, shentsize = 64, 64
	infoOff := uint64(ehsize)
	strOff := infoOff + uint64(len(info))
	shoff := (strOff + uint64(len(shstrtab)) + 7) &^ 7
	var b bytes.Buffer
	hdr := elf.Header64{
		Type: uint16(elf.ET_REL), Machine: uint16(elf.EM_X86_64), Version: uint32(elf.EV_CURRENT),
		Shoff: shoff, Ehsize: ehsize, Shentsize: shentsize, Shnum: 3, Shstrndx: 2,
	}
	copy(hdr.Ident[:], elf.ELFMAG)
	hdr.Ident[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	hdr.Ident[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	hdr.Ident[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	binary.Write(&b, binary.LittleEndian, hdr)
	b.Write(info)
	b.Write(shstrtab)
	b.Write(make([]byte, shoff-uint64(b.Len())))
	for _, sh := range []elf.Section64{
		{},
		{Name: 1, Type: uint32(elf.SHT_PROGBITS), Off: infoOff, Size: uint64(len(info)), Addralign: 1},
		{Name: 10, Type: uint32(elf.SHT_STRTAB), Off: strOff, Size: uint64(len(shstrtab)), Addralign: 1},
	} {
		binary.Write(&b, binary.LittleEndian, sh)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fakeKernel lays out modules with the dependencies of Debian's virtio
// stack, under the directories the real package uses.
func fakeKernel(t *testing.T, mods map[string]string) *Kernel {
	t.Helper()
	dir := t.TempDir()
	for path, deps := range mods {
		fakeModule(t, filepath.Join(dir, "kernel", path), "license=GPL", "depends="+deps, "name="+strings.TrimSuffix(filepath.Base(path), ".ko"))
	}
	return &Kernel{Version: "test", Modules: dir}
}

func TestModuleLoadOrder(t *testing.T) {
	k := fakeKernel(t, map[string]string{
		"drivers/virtio/virtio_ring.ko": "",
		"drivers/virtio/virtio.ko":      "virtio_ring",
		"drivers/virtio/virtio_mmio.ko": "virtio,virtio_ring",
		"net/core/failover.ko":          "",
		"drivers/net/net_failover.ko":   "failover",
		"drivers/net/virtio_net.ko":     "virtio_ring,virtio,net_failover",
		"drivers/block/virtio_blk.ko":   "virtio,virtio_ring",
	})
	paths, err := k.ModuleLoadOrder("virtio_mmio", "virtio-net")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range paths {
		got = append(got, strings.TrimSuffix(filepath.Base(p), ".ko"))
	}
	want := "virtio_ring virtio virtio_mmio failover net_failover virtio_net"
	if strings.Join(got, " ") != want {
		t.Errorf("ModuleLoadOrder(virtio_mmio, virtio-net) = %v, want %s", got, want)
	}
}

func TestModuleLoadOrderErrors(t *testing.T) {
	k := fakeKernel(t, map[string]string{
		"a.ko": "b",
		"b.ko": "a",
		"c.ko": "missing",
	})
	for _, tc := range []struct{ module, want string }{
		{"a", "cycle"},
		{"c", "has no module missing"},
		{"nonesuch", "has no module nonesuch"},
	} {
		_, err := k.ModuleLoadOrder(tc.module)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ModuleLoadOrder(%s) = %v, want an error containing %q", tc.module, err, tc.want)
		}
	}
}
