//go:build gobisandbox

package kernel

import "unsafe"

// The seccomp filter (Documentation/userspace-api/seccomp_filter.rst): a
// classic BPF program over struct seccomp_data { int nr; u32 arch; u64
// instruction_pointer; u64 args[6]; }. hostRules is the whole allowlist;
// docs/sandbox.md lists it with the reason for each entry, and a test reads
// the installed filter back from a running sandbox and compares the two.

// A hostRule lets a host call through when its check passes. A call whose
// check fails is either forbidden (refused; -strict kills) or, for emulate
// rules, trapped into the kernel like any call the filter does not name.
type hostRule struct {
	nr      uint32
	check   ruleCheck
	arg     uint8     // the argument checked
	vals    [4]uint32 // accepted values of its low 32 bits (checkIn), or the bits that must be clear (checkClear)
	nvals   uint8
	emulate bool
	ip      func() uintptr // checkIP: the address of the function holding the instruction
}

type ruleCheck uint8

const (
	checkNone  ruleCheck = iota
	checkIn              // args[arg] is one of vals
	checkClear           // args[arg] & vals[0] == 0
	checkIP              // the call comes from the kernel's own SYSCALL instruction at ip()
	checkOwn             // args[arg] is the process's own ID
	check64              // args[arg] (all 64 bits) is vals[0]
)

const (
	protExec      = 4
	archSetFS     = 0x1002
	goCloneFlags  = 0xd0f00 // CLONE_VM|FS|FILES|SIGHAND|SYSVSEM|THREAD|SETTLS: the runtime's newosproc (sys_linux_amd64.s adds SETTLS)
	auditArchX864 = 0xc000003e

	retKillProcess = 0x80000000
	retTrap        = 0x00030000
	retAllow       = 0x7fff0000
)

// hostRules: the host calls the sandboxed program may make (≤ 30, docs/sandbox.md).
var hostRules = [...]hostRule{
	{nr: 0, check: checkIn, arg: 0, vals: [4]uint32{hostStdin, hostNet}, nvals: 2, emulate: true},                       // read
	{nr: 1, check: checkIn, arg: 0, vals: [4]uint32{hostStdout, hostStderr, hostLog, hostNet}, nvals: 4, emulate: true}, // write
	{nr: 9, check: checkClear, arg: 2, vals: [4]uint32{protExec}},                                                       // mmap
	{nr: 10, check: checkClear, arg: 2, vals: [4]uint32{protExec}},                                                      // mprotect
	{nr: 11}, // munmap
	{nr: 13, check: checkIP, ip: sigactionSyscallAddr, emulate: true}, // rt_sigaction
	{nr: 14, check: checkIP, ip: sigmaskSyscallAddr, emulate: true},   // rt_sigprocmask
	{nr: 15}, // rt_sigreturn
	{nr: 24}, // sched_yield
	{nr: 28}, // madvise
	{nr: 35}, // nanosleep
	{nr: 36}, // getitimer
	{nr: 37}, // alarm
	{nr: 38, check: checkIn, arg: 0, vals: [4]uint32{0, 1, 2}, nvals: 3}, // setitimer
	{nr: 39}, // getpid
	{nr: 56, check: check64, arg: 0, vals: [4]uint32{goCloneFlags}}, // clone
	{nr: 60},                          // exit
	{nr: 62, check: checkOwn, arg: 0}, // kill
	{nr: 131},                         // sigaltstack
	{nr: 158, check: checkIn, arg: 0, vals: [4]uint32{archSetFS}, nvals: 1}, // arch_prctl
	{nr: 186}, // gettid
	{nr: 202, check: checkIn, arg: 1, vals: [4]uint32{futexWaitPrivate, futexWakePrivate}, nvals: 2}, // futex
	{nr: 204, check: checkIn, arg: 0, vals: [4]uint32{0}, nvals: 1},                                  // sched_getaffinity
	{nr: 219},                          // restart_syscall
	{nr: 228},                          // clock_gettime
	{nr: 231},                          // exit_group
	{nr: 234, check: checkOwn, arg: 0}, // tgkill
}

// forbiddenCalls are refused outright: new processes and programs, another
// process's memory, and the kernel's own configuration.
var forbiddenCalls = [...]uint16{
	57, 58, 59, 322, 435, // fork, vfork, execve, execveat, clone3
	101, 310, 311, // ptrace, process_vm_readv, process_vm_writev
	135, 155, 161, 165, 166, 167, 168, // personality, pivot_root, chroot, mount, umount2, swapon, swapoff
	169, 172, 173, 175, 176, 313, 246, // reboot, iopl, ioperm, init_module, delete_module, finit_module, kexec_load
	248, 249, 250, 272, 308, // add_key, request_key, keyctl, unshare, setns
	298, 303, 304, 317, 321, 323, 329, // perf_event_open, name_to_handle_at, open_by_handle_at, seccomp, bpf, userfaultfd, pkey_mprotect
}

// forbidden marks the calls the sandbox refuses when they trap: those on
// forbiddenCalls, and those with a host rule (not an emulate one), whose
// check must have failed since allowed calls never trap. buildFilter fills
// it from the same tables as the filter.
var forbidden [512]bool

// sockFilter is struct sock_filter (linux/filter.h).
type sockFilter struct {
	code   uint16
	jt, jf uint8
	k      uint32
}

// Classic BPF opcodes (linux/bpf_common.h).
const (
	bpfLdAbs = 0x20 // BPF_LD | BPF_W | BPF_ABS
	bpfJeq   = 0x15 // BPF_JMP | BPF_JEQ | BPF_K
	bpfJset  = 0x45 // BPF_JMP | BPF_JSET | BPF_K
	bpfJge   = 0x35 // BPF_JMP | BPF_JGE | BPF_K
	bpfRet   = 0x06 // BPF_RET | BPF_K

	offNR   = 0
	offArch = 4
	offIP   = 8
	offArgs = 16
)

var (
	filterProg [512]sockFilter
	filterLen  int
)

func emit(code uint16, jt, jf uint8, k uint32) {
	if filterLen == len(filterProg) {
		fatal("sandbox: the seccomp filter outgrew its buffer")
	}
	filterProg[filterLen] = sockFilter{code, jt, jf, k}
	filterLen++
}

// buildFilter writes the program: the architecture check, then one block
// per host rule and per forbidden call, then "trap" for everything else.
func buildFilter() {
	forbid := uint32(retTrap)
	if strict {
		forbid = retKillProcess
	}
	filterLen = 0
	for _, f := range forbiddenCalls {
		forbidden[f] = true
	}
	for k := range hostRules {
		forbidden[hostRules[k].nr] = !hostRules[k].emulate
	}
	// fastCall (sandbox_fast.go): what the filter traps for the kernel to
	// serve. Rules that let a call through for some arguments or callers
	// are emulate rules or forbid the rest; the program's read and write
	// of its own descriptors, and its rt_sigaction, trap.
	for nr := range fastCall {
		fastCall[nr] = !forbidden[nr]
	}
	for k := range hostRules {
		fastCall[hostRules[k].nr] = hostRules[k].emulate
	}
	fastCall[14] = false // rt_sigprocmask edits the trap's ucontext
	emit(bpfLdAbs, 0, 0, offArch)
	emit(bpfJeq, 1, 0, auditArchX864)
	emit(bpfRet, 0, 0, retKillProcess) // another ABI (i386 int 0x80) escapes the table
	emit(bpfLdAbs, 0, 0, offNR)
	emit(bpfJge, 0, 1, 0x40000000) // x32 system calls
	emit(bpfRet, 0, 0, retKillProcess)
	for k := range hostRules {
		r := &hostRules[k]
		fail := forbid
		if r.emulate {
			fail = retTrap
		}
		start := filterLen
		emit(bpfJeq, 0, 0, r.nr) // jf patched below, past the block
		switch r.check {
		case checkNone:
			emit(bpfRet, 0, 0, retAllow)
		case checkIn:
			emit(bpfLdAbs, 0, 0, uint32(offArgs+8*int(r.arg)))
			for v := 0; v < int(r.nvals); v++ {
				emit(bpfJeq, uint8(int(r.nvals)-v), 0, r.vals[v]) // to the allow below
			}
			emit(bpfRet, 0, 0, fail)
			emit(bpfRet, 0, 0, retAllow)
		case checkClear:
			emit(bpfLdAbs, 0, 0, uint32(offArgs+8*int(r.arg)))
			emit(bpfJset, 0, 1, r.vals[0])
			emit(bpfRet, 0, 0, fail)
			emit(bpfRet, 0, 0, retAllow)
		case checkOwn: // pid_t is 32 bits: the host ignores the high word
			emit(bpfLdAbs, 0, 0, uint32(offArgs+8*int(r.arg)))
			emit(bpfJeq, 1, 0, uint32(hostPID))
			emit(bpfRet, 0, 0, fail)
			emit(bpfRet, 0, 0, retAllow)
		case check64:
			emit(bpfLdAbs, 0, 0, uint32(offArgs+8*int(r.arg)))
			emit(bpfJeq, 0, 2, r.vals[0])
			emit(bpfLdAbs, 0, 0, uint32(offArgs+8*int(r.arg)+4))
			emit(bpfJeq, 1, 0, 0)
			emit(bpfRet, 0, 0, fail)
			emit(bpfRet, 0, 0, retAllow)
		case checkIP:
			pc := uint64(syscallPC(r.ip()))
			emit(bpfLdAbs, 0, 0, offIP)
			emit(bpfJeq, 0, 2, uint32(pc))
			emit(bpfLdAbs, 0, 0, offIP+4)
			emit(bpfJeq, 1, 0, uint32(pc>>32))
			emit(bpfRet, 0, 0, fail)
			emit(bpfRet, 0, 0, retAllow)
		}
		// Past the block, A still holds the call number: every path
		// inside it returns.
		filterProg[start].jf = uint8(filterLen - start - 1)
	}
	for _, f := range forbiddenCalls {
		emit(bpfJeq, 0, 1, uint32(f))
		emit(bpfRet, 0, 0, forbid)
	}
	emit(bpfRet, 0, 0, retTrap)
}

// syscallPC is the instruction pointer the host reports for the call made
// by the function at p: the address after its SYSCALL (0f 05).
func syscallPC(p uintptr) uintptr {
	for n := uintptr(0); n < 64; n++ {
		if *ptr[byte](p + n) == 0x0f && *ptr[byte](p + n + 1) == 0x05 {
			return p + n + 2
		}
	}
	fatal("sandbox: no SYSCALL instruction in a function the filter names")
	return 0
}

// installFilter confines the process. PR_SET_NO_NEW_PRIVS lets an
// unprivileged process install a filter and keeps set-user-ID programs from
// gaining anything (prctl(2)).
func installFilter() {
	buildFilter()
	if hostErr(hostSyscall(nrPrctl, prSetNoNewPrivs, 1, 0, 0, 0, 0)) {
		fatal("sandbox: prctl(PR_SET_NO_NEW_PRIVS) failed")
	}
	noNewPrivs = true // what the program's prctl(PR_GET_NO_NEW_PRIVS) reads
	prog := struct {
		n      uint16
		_      [3]uint16
		filter uintptr
	}{n: uint16(filterLen), filter: uintptr(unsafe.Pointer(&filterProg))}
	if r := hostSyscall(nrSeccomp, 1 /* SECCOMP_SET_MODE_FILTER */, 0, uintptr(unsafe.Pointer(&prog)), 0, 0, 0); hostErr(r) {
		fatal("sandbox: the host refused the seccomp filter (a kernel without CONFIG_SECCOMP_FILTER?)")
	}
}
