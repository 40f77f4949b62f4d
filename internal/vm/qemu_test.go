package vm

import (
	"slices"
	"strings"
	"testing"
)

func TestParseMemory(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
	}{
		{"256", 256}, {"256M", 256}, {"256m", 256}, {"1G", 1024}, {"1.5G", 1536},
		{"65536K", 64}, {"65537K", 65}, {"8M", 8}, {"134217728B", 128}, {"1T", 1 << 20},
	} {
		if got, err := ParseMemory(tc.in); err != nil || got != tc.want {
			t.Errorf("ParseMemory(%q) = %d, %v, want %d", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "M", "-1", "1 G", "1GiB", "0x100", "4M", "2T", "1e3"} {
		if got, err := ParseMemory(in); err == nil {
			t.Errorf("ParseMemory(%q) = %d, want an error", in, got)
		}
	}
}

func TestArgs(t *testing.T) {
	c := &Config{Image: "/tmp/img", MemoryMiB: 256, Accel: AccelTCG, Cmdline: "gobi.argv=cAA"}
	args := strings.Join(c.args(), " ")
	for _, want := range []string{
		"-accel tcg -cpu max", "-m 256M", "-kernel /tmp/img", "-append gobi.argv=cAA",
		"-serial chardev:com1", "iobase=0x2f8", "iobase=0x3e8", "isa-debug-exit,iobase=0xf4",
	} {
		if !strings.Contains(args, want) {
			t.Errorf("args() = %q, missing %q", args, want)
		}
	}
	if strings.Contains(args, "-gdb") {
		t.Errorf("args() = %q has -gdb without GDBPort", args)
	}
	c.Accel, c.GDBPort = AccelKVM, 1234
	a := c.args()
	if i := slices.Index(a, "-cpu"); a[i+1] != "host" {
		t.Errorf("KVM -cpu = %q, want host", a[i+1])
	}
	if i := slices.Index(a, "-gdb"); i < 0 || a[i+1] != "tcp:127.0.0.1:1234" || !slices.Contains(a, "-S") {
		t.Errorf("args() = %q, want -gdb tcp:127.0.0.1:1234 -S", a)
	}
}
