//go:build !gobisandbox

package kernel

// Signal system calls.

const (
	sigBlock   = 0
	sigUnblock = 1
	sigSetmask = 2
)

func sysRtSigaction(sig, act, oact, size uint64) uint64 {
	if sig < 1 || sig > maxSig || size != 8 {
		return errno(eINVAL)
	}
	if oact != 0 {
		if !userOK(uintptr(oact), 32, true) {
			return errno(eFAULT)
		}
		*ptr[sigAction](uintptr(oact)) = sigActions[sig]
	}
	if act != 0 {
		if sig == sigKILL || sig == sigSTOP {
			return errno(eINVAL)
		}
		if !userOK(uintptr(act), 32, false) {
			return errno(eFAULT)
		}
		a := *ptr[sigAction](uintptr(act))
		a.mask &^= unblockable
		sigActions[sig] = a
		if a.handler == sigIGN {
			procPending &^= sigBit(int(sig))
		}
	}
	return 0
}

func sysRtSigprocmask(i int, how, set, oset, size uint64) uint64 {
	if size != 8 {
		return errno(eINVAL)
	}
	t := &threads[i]
	old := t.sigMask
	if set != 0 {
		if !userOK(uintptr(set), 8, false) {
			return errno(eFAULT)
		}
		s := *ptr[uint64](uintptr(set))
		switch how {
		case sigBlock:
			t.sigMask |= s
		case sigUnblock:
			t.sigMask &^= s
		case sigSetmask:
			t.sigMask = s
		default:
			return errno(eINVAL)
		}
		t.sigMask &^= unblockable
	}
	if oset != 0 {
		if !userOK(uintptr(oset), 8, true) {
			return errno(eFAULT)
		}
		*ptr[uint64](uintptr(oset)) = old
	}
	return 0
}

func sysRtSigpending(i int, set, size uint64) uint64 {
	if size != 8 {
		return errno(eINVAL)
	}
	if !userOK(uintptr(set), 8, true) {
		return errno(eFAULT)
	}
	t := &threads[i]
	*ptr[uint64](uintptr(set)) = (t.sigPending | procPending) & t.sigMask
	return 0
}

func sysRtSigsuspend(i int, set, size uint64) uint64 {
	if size != 8 {
		return errno(eINVAL)
	}
	if !userOK(uintptr(set), 8, false) {
		return errno(eFAULT)
	}
	// The temporary mask applies while waiting; the handler's frame saves
	// the old one. Simplified: the new mask stays until the handler returns.
	t := &threads[i]
	t.sigMask = *ptr[uint64](uintptr(set)) &^ unblockable
	block(waitSignal, 0, errno(eINTR))
	return noReturn
}

// Stack_t layout: ss_sp u64, ss_flags i32 (+pad), ss_size u64.
func sysSigaltstack(i int, ss, oss uint64) uint64 {
	t := &threads[i]
	if oss != 0 {
		if !userOK(uintptr(oss), 24, true) {
			return errno(eFAULT)
		}
		b := bytesAt(uintptr(oss), 24)
		put64(b[0:], t.altSP)
		flags := t.altFlags
		if t.altSize == 0 {
			flags = ssDisable
		} else if onAltStack(t, t.ctx.rsp) {
			flags = ssOnstack
		}
		put32(b[8:], flags)
		put32(b[12:], 0)
		put64(b[16:], t.altSize)
	}
	if ss != 0 {
		if !userOK(uintptr(ss), 24, false) {
			return errno(eFAULT)
		}
		if onAltStack(t, t.ctx.rsp) {
			return errno(ePERM)
		}
		b := bytesAt(uintptr(ss), 24)
		flags := get32(b[8:])
		switch {
		case flags&ssDisable != 0:
			t.altSP, t.altSize, t.altFlags = 0, 0, ssDisable
		case flags&^uint32(0x80000000) != 0: // only SS_AUTODISARM besides
			return errno(eINVAL)
		default:
			size := get64(b[16:])
			if size < 2048 {
				return errno(eNOMEM)
			}
			t.altSP, t.altSize, t.altFlags = get64(b[0:]), size, 0
		}
	}
	return 0
}

func sysTgkill(tgid, tid, sig uint64) uint64 {
	if tgid != pid {
		return errno(eSRCH)
	}
	if sig > maxSig {
		return errno(eINVAL)
	}
	k := threadByTID(int32(tid))
	if k < 0 {
		return errno(eSRCH)
	}
	if sig == 0 {
		return 0
	}
	sendThread(k, int(sig), sigInfoLite{code: siTkill, pid: pid})
	return 0
}

func sysKill(p, sig uint64) uint64 {
	if int64(p) != pid && int64(p) != 0 && int64(p) != -1 {
		return errno(eSRCH)
	}
	if sig > maxSig {
		return errno(eINVAL)
	}
	if sig != 0 {
		sendProcess(int(sig), sigInfoLite{code: siUser, pid: pid})
	}
	return 0
}
