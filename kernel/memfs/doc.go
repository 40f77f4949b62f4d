// Package memfs is the guest kernel's in-memory file system: a small POSIX
// tree of directories, regular files, symbolic links and character-device
// nodes, with open file descriptions and operations that mirror the Linux
// file syscalls (openat, read, pwrite64, lseek, newfstatat, getdents64,
// mkdirat, unlinkat, renameat2, linkat, symlinkat, readlinkat, truncate,
// fchmodat, utimensat, faccessat, getcwd) and return Linux errno values.
//
// It runs inside syscall handlers: on a kernel stack, interrupts off, with no
// M or P. Code outside the *_encode.go files therefore never allocates, never
// stores a Go pointer into global or heap memory (all state is fixed-size
// arrays of pointer-free structs linked by index; memory is addresses from
// the allocator given to Init), never panics on any input, and imports
// nothing but unsafe, so that standard-library test binaries may import it.
// The tests enforce the import rule and the absence of write barriers.
//
// The package is not safe for concurrent use: the kernel serializes calls.
// Modes given to creating calls are used as is: the caller applies the umask.
//
// Everything outside /tmp is read-only to the program, as if / were a
// read-only mount with a tmpfs on /tmp: writes there fail with EROFS, as
// Linux reports them (see path_resolution(7), open(2), rename(2)). Files
// baked into the image (the bundle, see bundle.go) are referenced in place.
// See README.md for the invariants.
package memfs
