package linuxguest

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestInitramfsLists(t *testing.T) {
	if _, err := exec.LookPath("cpio"); err != nil {
		t.Skip("cpio not installed: run scripts/setup")
	}
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	r := Initramfs{
		Init:    write("wrapper", "init program"),
		Payload: write("server", "payload program"),
		Modules: []string{write("virtio_ring.ko", "m0"), write("virtio.ko", "m1")},
	}
	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(&buf)
	if err != nil {
		t.Fatalf("initramfs is not gzip: %v", err)
	}
	archive, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	cmd := exec.Command("cpio", "-i", "-d", "--quiet")
	cmd.Dir = out
	cmd.Stdin = bytes.NewReader(archive)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cpio -i: %v\n%s", err, b)
	}
	for name, want := range map[string]string{
		"init":                      "init program",
		"payload":                   "payload program",
		"modules/00-virtio_ring.ko": "m0",
		"modules/01-virtio.ko":      "m1",
	} {
		got, err := os.ReadFile(filepath.Join(out, name))
		if err != nil || string(got) != want {
			t.Errorf("/%s = %q, %v; want %q", name, got, err, want)
		}
	}
	fi, err := os.Stat(filepath.Join(out, "init"))
	if err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("/init mode = %v, %v; want executable 0755", fi.Mode(), err)
	}
	entries, _ := os.ReadDir(filepath.Join(out, "modules"))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.IsSorted(names) || len(names) != 2 || !strings.HasSuffix(names[0], "virtio_ring.ko") {
		t.Errorf("modules listed as %v, want the load order in lexical order", names)
	}
}

func TestInitramfsMissingFile(t *testing.T) {
	err := Initramfs{Init: filepath.Join(t.TempDir(), "absent")}.Write(io.Discard)
	if err == nil || !strings.Contains(err.Error(), "/init") {
		t.Errorf("Write with a missing /init = %v, want an error naming /init", err)
	}
}

func TestMachineCommand(t *testing.T) {
	m := Machine{
		Kernel: "vmlinuz", Initrd: "initrd.gz", Memory: "96M", TSCkHz: 2596146,
		HostFwd:  []string{"tcp:127.0.0.1:18080-:8080"},
		InitArgs: []string{"-ip", "10.0.2.15/24"},
	}
	args, err := m.Command()
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(args, " ")
	for _, want := range []string{
		"-M microvm,pit=on,pic=on,rtc=on",
		"-m 96M",
		"-append console=ttyS0 quiet panic=-1 tsc_early_khz=2596146 -- -ip 10.0.2.15/24 ",
		"-netdev user,id=n0,hostfwd=tcp:127.0.0.1:18080-:8080 -device virtio-net-device,netdev=n0",
	} {
		if !strings.Contains(got+" ", want) {
			t.Errorf("Command() = %s\nwant it to contain %q", got, want)
		}
	}
	m.InitArgs = []string{"two words"}
	if _, err := m.Command(); err == nil {
		t.Error("Command with a spaced /init argument = nil error, want one")
	}
	m.InitArgs, m.TSCkHz = nil, 0
	if _, err := m.Command(); err == nil {
		t.Error("Command without a TSC frequency = nil error, want one")
	}
}
