package kernel

// Descriptors passed over AF_UNIX sockets (SCM_RIGHTS, unix(7)). A message
// with descriptors holds a reference to each object from sendmsg until the
// receiver's recvmsg installs them as new descriptors, or the bytes they
// came with are read without recvmsg, or the receiver closes: then the
// references are dropped, as Linux closes them. They are kept here by the
// receiving socket and the stream position of the first byte they came
// with; a recvmsg never reads past the start of the next such message, so
// each arrives with its own bytes. SCM_CREDENTIALS that a sender attaches
// is checked as Linux does (an unprivileged sender may not claim another's
// identity); a receiver with SO_PASSCRED gets the credentials with every
// message (receiveCreds). A socket in flight over itself keeps itself open.

const (
	scmRights      = 1
	scmCredentials = 2
	cmsgHdr        = 16 // struct cmsghdr: len u64, level i32, type i32
	maxRightsFDs   = 16 // descriptors per message
	maxInFlight    = 64 // messages with descriptors not yet received
)

// flight is one message's descriptors on their way.
type flight struct {
	used bool   // in flight (sendRights fills a slot before it is)
	sock int32  // the receiving socket
	pos  uint64 // its rx stream position of the message's first byte
	n    int
	fds  [maxRightsFDs]fdEntry
}

var flights [maxInFlight]flight

// cmsgAlign rounds a control message length up as CMSG_ALIGN does.
func cmsgAlign(n uint64) uint64 { return (n + 7) &^ 7 }

// parseControl reads sendmsg's control messages into f (its descriptors
// referenced) and reports whether there were descriptors. Errors are
// sendmsg's: EINVAL for a malformed or unknown message, EBADF for a bad
// descriptor, EPERM for credentials the sender may not claim.
func parseControl(ctl, ctlLen uint64, f *flight) (bool, uint64) {
	if ctlLen == 0 {
		return false, 0
	}
	if ctlLen > 4096 || !userOK(uintptr(ctl), uintptr(ctlLen), false) {
		return false, errno(eINVAL)
	}
	b := bytesAt(uintptr(ctl), int(ctlLen))
	*f = flight{}
	for off := uint64(0); off+cmsgHdr <= ctlLen; {
		l := get64(b[off:])
		if l < cmsgHdr || off+l > ctlLen {
			break
		}
		data := b[off+cmsgHdr : off+l]
		if get32(b[off+8:]) != solSocket {
			releaseFlight(f)
			return false, errno(eINVAL)
		}
		switch get32(b[off+12:]) {
		case scmRights:
			for i := 0; i+4 <= len(data); i += 4 {
				e, ok := getFD(uint64(get32(data[i:])))
				if !ok || f.n == maxRightsFDs {
					releaseFlight(f)
					if !ok {
						return false, errno(eBADF)
					}
					return false, errno(eINVAL)
				}
				ref(*e)
				f.fds[f.n] = fdEntry{kind: e.kind, obj: e.obj}
				f.n++
			}
		case scmCredentials: // struct ucred: pid, uid, gid
			if len(data) < 12 || !credsAllowed(get32(data), get32(data[4:]), get32(data[8:])) {
				releaseFlight(f)
				return false, errno(ePERM)
			}
		default:
			releaseFlight(f)
			return false, errno(eINVAL)
		}
		off += cmsgAlign(l)
	}
	return f.n > 0, 0
}

// credsAllowed reports whether the sender may claim pid, uid and gid: its
// own, or any when privileged (unix(7), SCM_CREDENTIALS).
func credsAllowed(p, u, g uint32) bool {
	if privileged() {
		return true
	}
	return uint64(p) == processID() &&
		(u == uids.real || u == uids.eff || u == uids.saved) &&
		(g == gids.real || g == gids.eff || g == gids.saved)
}

// releaseFlight drops f's references.
func releaseFlight(f *flight) {
	for i := 0; i < f.n; i++ {
		release(f.fds[i])
	}
	*f = flight{}
}

// sendRights reads the control messages sendmsg gives unix socket k and,
// when they carry descriptors, puts them in a free slot addressed to the
// receiving socket at the stream position its next byte will take. The slot
// is not in flight until commitRights says the send went out; -1 is no
// slot.
func sendRights(k int, ctl, ctlLen, name, namelen uint64) (int, uint64) {
	s := &sockets[k]
	if s.family != afUnix {
		return -1, 0 // other families' control messages are ignored
	}
	var f flight
	if has, r := parseControl(ctl, ctlLen, &f); !has {
		return -1, r
	}
	slot := -1
	for i := range flights {
		if !flights[i].used {
			slot = i
			break
		}
	}
	if slot < 0 {
		releaseFlight(&f)
		return -1, errno(eTOOMANYREFS)
	}
	dest := int(s.peer)
	if s.typ == sockDgram {
		dest, _ = unixDgramPeer(k, name, namelen) // sockSend reports a failure
	}
	f.sock = int32(dest)
	if dest >= 0 {
		f.pos = sockets[dest].rx.total
	}
	flights[slot] = f
	return slot, 0
}

// commitRights puts slot's descriptors in flight if the send went out to a
// socket, or drops them: the call failed, or it will run again and send
// them anew.
func commitRights(slot int, sent bool) {
	if slot < 0 {
		return
	}
	if f := &flights[slot]; sent && f.sock >= 0 {
		f.used = true
	} else {
		releaseFlight(f)
	}
}

// takeRights prepares a recvmsg of up to max bytes from socket k: the
// descriptors that came with the next byte are taken out of flight (slot
// is where they were, -1 for none), and max is cut so that a stream read
// stops short of the next message that has some.
func takeRights(k, max int) (f flight, slot, n int) {
	s := &sockets[k]
	slot, n = -1, max
	i := nextFlight(k)
	if i < 0 {
		return f, slot, n
	}
	rp := s.rx.readPos()
	if flights[i].pos == rp {
		f, flights[i], slot = flights[i], flight{}, i
		i = nextFlight(k)
	}
	if i >= 0 && s.typ == sockStream && flights[i].pos > rp {
		n = min(n, int(flights[i].pos-rp))
	}
	return f, slot, n
}

// receiveControl writes what a recvmsg on socket k receives besides the
// bytes: its credentials with SO_PASSCRED, then f's descriptors. It
// returns the control length written and the msg_flags to add.
func receiveControl(k int, f *flight, ctl, ctlLen uint64, cloexec bool) (uint64, uint32) {
	var out uint64
	var fl uint32
	if optValue(&sockets[k], optPasscred) != 0 {
		out, fl = receiveCreds(ctl, ctlLen)
	}
	if f.n > 0 {
		o, l := receiveFlight(f, ctl+out, ctlLen-out, cloexec)
		out, fl = out+o, fl|l
	}
	return out, fl
}

// nextFlight returns the index of socket k's earliest message in flight,
// or -1.
func nextFlight(k int) int {
	best := -1
	for i := range flights {
		if f := &flights[i]; f.used && f.sock == int32(k) && (best < 0 || f.pos < flights[best].pos) {
			best = i
		}
	}
	return best
}

// dropPassed releases socket k's messages whose bytes were read without
// recvmsg (or all of them when all is set: the socket is closing).
func dropPassed(k int, all bool) {
	rp := sockets[k].rx.readPos()
	for i := range flights {
		if f := &flights[i]; f.used && f.sock == int32(k) && (all || f.pos < rp) {
			releaseFlight(f)
		}
	}
}

// receiveFlight installs f's descriptors (close-on-exec if asked) and
// writes them as one SCM_RIGHTS message into the control buffer; those
// that do not fit are closed and MSG_CTRUNC is reported, as Linux does.
// It returns the control length written and the msg_flags to add.
func receiveFlight(f *flight, ctl, ctlLen uint64, cloexec bool) (uint64, uint32) {
	fit := 0
	if ctlLen >= cmsgHdr && userOK(uintptr(ctl), uintptr(ctlLen), true) {
		fit = min(f.n, int(ctlLen-cmsgHdr)/4)
	}
	var trunc uint32
	got := 0
	for i := 0; i < f.n; i++ {
		fd := -1
		if i < fit {
			fd = allocFD(0)
		}
		if fd < 0 {
			release(f.fds[i])
			trunc = msgCtrunc
			continue
		}
		fds[fd] = fdEntry{kind: f.fds[i].kind, obj: f.fds[i].obj, cloexec: cloexec}
		put32(bytesAt(uintptr(ctl)+cmsgHdr+uintptr(4*got), 4), uint32(fd))
		got++
	}
	*f = flight{}
	if got == 0 {
		return 0, trunc
	}
	b := bytesAt(uintptr(ctl), cmsgHdr)
	put64(b, cmsgHdr+uint64(4*got))
	put32(b[8:], solSocket)
	put32(b[12:], scmRights)
	return min(cmsgAlign(cmsgHdr+uint64(4*got)), ctlLen), trunc
}

// receiveCreds writes the sender's credentials as an SCM_CREDENTIALS
// message for a socket with SO_PASSCRED: every sender is this process, and
// an unprivileged one can claim only its own identity, so they are the
// process's ID and its effective user and group IDs (a privileged sender's
// claim of another identity is not carried). It returns the control length
// written and MSG_CTRUNC when it did not fit.
func receiveCreds(ctl, ctlLen uint64) (uint64, uint32) {
	const size = cmsgHdr + 12 // struct ucred: pid, uid, gid
	if ctlLen < size || !userOK(uintptr(ctl), size, true) {
		return 0, msgCtrunc
	}
	b := bytesAt(uintptr(ctl), size)
	put64(b, size)
	put32(b[8:], solSocket)
	put32(b[12:], scmCredentials)
	put32(b[16:], uint32(processID()))
	put32(b[20:], uids.eff)
	put32(b[24:], gids.eff)
	return min(cmsgAlign(size), ctlLen), 0
}
