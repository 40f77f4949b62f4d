// Layout constants shared by the amd64 assembly files. Each one is checked
// against the Go declaration in layout_amd64_test.go.

#define KSTACK_SIZE 65536
#define IST_SIZE 16384
// struct context: the 22 saved registers, then fsbase, then fpaddr.
#define CTX_NREGS 22
#define CTX_FSBASE 176
#define CTX_FPADDR 184
#define VEC_SYSCALL 256
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
