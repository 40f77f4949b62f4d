package kernel

import (
	"os"
	"regexp"
	"strconv"
	"testing"
	"unsafe"
)

// TestAsmLayout checks the constants the assembly uses against the Go
// declarations they mirror.
func TestAsmLayout(t *testing.T) {
	src, err := os.ReadFile("asm_amd64.h")
	if err != nil {
		t.Fatal(err)
	}
	defs := map[string]int64{}
	for _, m := range regexp.MustCompile(`(?m)^#define (\w+) (\w+)`).FindAllStringSubmatch(string(src), -1) {
		v, err := strconv.ParseInt(m[2], 0, 64)
		if err != nil {
			t.Fatalf("%s: %v", m[1], err)
		}
		defs[m[1]] = v
	}
	var c context
	for name, want := range map[string]int64{
		"KSTACK_SIZE": kstackSize,
		"IST_SIZE":    istSize,
		"CTX_NREGS":   int64(unsafe.Sizeof(regs{}) / 8),
		"CTX_FSBASE":  int64(unsafe.Offsetof(c.fsbase)),
		"CTX_FPADDR":  int64(unsafe.Offsetof(c.fpaddr)),
		"VEC_SYSCALL": vecSyscall,
		"SEL_KCODE":   selKCode,
		"SEL_KDATA":   selKData,
	} {
		if got, ok := defs[name]; !ok || got != want {
			t.Errorf("asm_amd64.h %s = %d (defined %v), want %d", name, got, ok, want)
		}
	}
	// fakeG must put stackguard0 where Go's prologues read it (runtime.g).
	if off := unsafe.Offsetof(kernelG.stackguard0); off != 16 {
		t.Errorf("fakeG.stackguard0 at %d, want 16", off)
	}
	if unsafe.Offsetof(c.regs.rax) != 14*8 || unsafe.Offsetof(c.regs.ss) != 21*8 {
		t.Errorf("regs order does not match trapcommon's pushes")
	}
}
