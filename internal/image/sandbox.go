package image

import (
	"debug/elf"
	"fmt"
	"os"
)

// CheckSandbox reports whether the open file exe is a sandbox executable: an
// x86-64 ELF executable whose entry point is the symbol entry, the kernel's
// sandbox entry, which installs the seccomp filter before anything else
// runs. Any other executable would run unconfined, so gobi refuses it. The
// caller runs exe through the same open file, so what was checked is what
// runs.
func CheckSandbox(exe *os.File, entry string) error {
	path := exe.Name()
	f, err := elf.NewFile(exe)
	if err != nil {
		return fmt.Errorf("%s is not an ELF executable: %w", path, err)
	}
	if f.Machine != elf.EM_X86_64 || f.Type != elf.ET_EXEC {
		return fmt.Errorf("%s is not an x86-64 executable", path)
	}
	syms, err := f.Symbols()
	if err != nil {
		return fmt.Errorf("%s has no symbol table, so it cannot be a sandbox executable: build it with gobi build -target sandbox", path)
	}
	for _, s := range syms {
		if s.Name == entry {
			if s.Value != f.Entry {
				break
			}
			return nil
		}
	}
	return fmt.Errorf("%s does not start at the sandbox's entry: build it with gobi build -target sandbox", path)
}
