// Package kernel is Gobi's guest kernel for x86-64: linked into an ordinary
// linux/amd64 Go program, it boots the machine from the PVH entry, then runs
// the program's own Go runtime on top of an emulation of the Linux system
// calls that the runtime and the standard library make.
//
// It runs before and beneath the Go runtime. Its code executes in trap
// context — on the kernel stack, interrupts off, with a stand-in g that has no
// M or P — so it must not allocate, must not store pointers into global or
// heap memory (the GC write barrier cannot run there: all kernel state is
// pointer-free and linked by index), and must not panic. It imports nothing
// but unsafe and its own subpackages, because gobi injects it into
// $GOROOT/src/gobi/ so that standard-library test binaries can import it
// without import cycles.
//
// The contract with the host is docs/hostabi.md; the design and its
// invariants are in README.md next to this file.
package kernel
