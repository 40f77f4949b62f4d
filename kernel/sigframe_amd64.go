//go:build !gobisandbox

package kernel

// The x86-64 Linux signal frame (arch/x86/include/uapi/asm/sigcontext.h and
// arch/x86/kernel/signal_64.c): the handler's return address (sa_restorer),
// then struct ucontext (flags, link, stack_t, sigcontext, sigset), then
// struct siginfo, and above them the XSAVE image that sigcontext.fpstate
// points at. The Go runtime reads and rewrites the sigcontext (asynchronous
// preemption moves rip/rsp), so the layout must be exact.

const (
	ucOff      = 8            // ucontext after the return address
	ucStack    = 16           // stack_t within ucontext
	ucMcontext = 40           // sigcontext within ucontext
	ucSigmask  = 40 + 256     // sigset within ucontext
	ucSize     = 40 + 256 + 8 // struct ucontext, kernel layout
	infoOff    = ucOff + ucSize
	infoSize   = 128
	frameSize  = infoOff + infoSize
	redZone    = 128

	// Flags a handler may change in rflags on sigreturn (FIX_EFLAGS:
	// CF PF AF ZF SF TF DF OF AC RF).
	userFlags = 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x100 | 0x400 | 0x800 | 0x40000 | 0x10000
)

// sigcontext register slots, in struct sigcontext order.
const (
	scR8 = iota
	scR9
	scR10
	scR11
	scR12
	scR13
	scR14
	scR15
	scRDI
	scRSI
	scRBP
	scRBX
	scRDX
	scRAX
	scRCX
	scRSP
	scRIP
	scEFLAGS
	scCSGSFS
	scERR
	scTRAPNO
	scOLDMASK
	scCR2
	scFPSTATE
)

func onAltStack(t *thread, sp uint64) bool {
	return t.altSize != 0 && sp > t.altSP && sp <= t.altSP+t.altSize
}

// pushSigframe sets thread i up to run act's handler for sig.
func pushSigframe(i, sig int, act *sigAction, info sigInfoLite) bool {
	t := &threads[i]
	c := &t.ctx
	sp := c.rsp - redZone
	onAlt := onAltStack(t, c.rsp)
	if act.flags&saOnstack != 0 && t.altSize != 0 && t.altFlags&ssDisable == 0 && !onAlt {
		sp = t.altSP + t.altSize
		onAlt = true
	}
	sp = (sp - fpAreaSize) &^ 63
	fpAddr := sp
	sp -= frameSize
	sp = sp&^15 - 8
	if !userOK(uintptr(sp), uintptr(fpAddr+fpAreaSize-sp), true) {
		return false
	}
	copy(bytesAt(uintptr(fpAddr), fpAreaSize), bytesAt(uintptr(c.fpaddr), fpAreaSize))
	f := bytesAt(uintptr(sp), frameSize)
	clear(f)
	put64(f[0:], act.restorer)
	uc := f[ucOff:]
	put64(uc[ucStack:], t.altSP)
	var ssFlags uint32
	if onAlt {
		ssFlags = ssOnstack
	} else if t.altSize == 0 || t.altFlags&ssDisable != 0 {
		ssFlags = ssDisable
	}
	put32(uc[ucStack+8:], ssFlags)
	put64(uc[ucStack+16:], t.altSize)
	mc := uc[ucMcontext:]
	for k, v := range [...]uint64{
		scR8: c.r8, scR9: c.r9, scR10: c.r10, scR11: c.r11, scR12: c.r12,
		scR13: c.r13, scR14: c.r14, scR15: c.r15, scRDI: c.rdi, scRSI: c.rsi,
		scRBP: c.rbp, scRBX: c.rbx, scRDX: c.rdx, scRAX: c.rax, scRCX: c.rcx,
		scRSP: c.rsp, scRIP: c.rip, scEFLAGS: c.rflags,
		scCSGSFS: c.cs | uint64(c.ss)<<48, scERR: c.err, scTRAPNO: trapno(c),
		scOLDMASK: t.sigMask, scCR2: uint64(info.addr), scFPSTATE: fpAddr,
	} {
		put64(mc[k*8:], v)
	}
	put64(uc[ucSigmask:], t.sigMask)
	in := f[infoOff:]
	put32(in[0:], uint32(sig))
	put32(in[8:], uint32(info.code))
	if info.addr != 0 || sig == sigSEGV || sig == sigBUS || sig == sigILL || sig == sigFPE || sig == sigTRAP {
		put64(in[16:], uint64(info.addr))
	} else {
		put32(in[16:], uint32(info.pid))
	}

	c.rsp = sp
	c.rip = act.handler
	c.rdi = uint64(sig)
	c.rsi = sp + infoOff
	c.rdx = sp + ucOff
	c.rax = 0
	c.rflags &^= 0x400 | 0x100 // DF, TF
	t.sigMask |= act.mask
	if act.flags&saNodefer == 0 {
		t.sigMask |= sigBit(sig)
	}
	t.sigMask &^= unblockable
	return true
}

// trapno is the vector for exceptions and 0 for syscalls and interrupts.
func trapno(c *context) uint64 {
	if c.vector < 32 {
		return c.vector
	}
	return 0
}

// sigreturn restores thread i from the frame its handler returned through;
// the restorer's SYSCALL runs with rsp at the ucontext.
func sigreturn(i int) uint64 {
	t := &threads[i]
	c := &t.ctx
	uc := uintptr(c.rsp)
	if !userOK(uc, ucSize, false) {
		exitProgram(128 + sigSEGV)
		return noReturn
	}
	u := bytesAt(uc, ucSize)
	mc := u[ucMcontext:]
	g := func(k int) uint64 { return get64(mc[k*8:]) }
	c.r8, c.r9, c.r10, c.r11 = g(scR8), g(scR9), g(scR10), g(scR11)
	c.r12, c.r13, c.r14, c.r15 = g(scR12), g(scR13), g(scR14), g(scR15)
	c.rdi, c.rsi, c.rbp, c.rbx = g(scRDI), g(scRSI), g(scRBP), g(scRBX)
	c.rdx, c.rax, c.rcx, c.rsp = g(scRDX), g(scRAX), g(scRCX), g(scRSP)
	c.rip = g(scRIP)
	c.rflags = c.rflags&^userFlags | g(scEFLAGS)&userFlags | 0x200
	c.cs, c.ss = selKCode, selKData
	if fp := uintptr(g(scFPSTATE)); fp != 0 {
		if !userOK(fp, fpAreaSize, false) {
			exitProgram(128 + sigSEGV)
			return noReturn
		}
		copy(bytesAt(uintptr(c.fpaddr), fpAreaSize), bytesAt(fp, fpAreaSize))
		sanitizeFP(uintptr(c.fpaddr))
	}
	t.sigMask = get64(u[ucSigmask:]) &^ unblockable
	return noReturn
}

// sanitizeFP keeps an XSAVE image loadable after user code had it: reserved
// MXCSR bits and XSAVE header bits a CPU would reject with #GP are cleared.
func sanitizeFP(fp uintptr) {
	b := bytesAt(fp, fpAreaSize)
	put32(b[24:], get32(b[24:])&0xffff)
	if useXsave {
		put64(b[512:], get64(b[512:])&xcr0) // XSTATE_BV within enabled features
		put64(b[520:], 0)                   // XCOMP_BV: standard format
		clear(b[528:576])
	}
}
