package kernel

// Socket data transfer, options and readiness.

// A ring is a socket buffer of up to ringPages page frames, allocated on
// first use and freed with the socket.
type ring struct {
	pages [ringPages]uintptr
	head  int
	n     int
	total uint64 // bytes ever written: the stream position of the next one
}

// readPos is the stream position of the next byte to read.
func (r *ring) readPos() uint64 { return r.total - uint64(r.n) }

// write appends what fits of b and returns how much that was.
func (r *ring) write(b []byte) int {
	w := 0
	for w < len(b) && r.n < ringSize {
		pos := (r.head + r.n) % ringSize
		pg := pos / pageSize
		if r.pages[pg] == 0 {
			if r.pages[pg] = allocFrame(); r.pages[pg] == 0 {
				break
			}
		}
		off := pos % pageSize
		// Never past the page, the free room (bytes beyond it are unread
		// data at the head), or what is left to write.
		c := pageSize - off
		if room := ringSize - r.n; c > room {
			c = room
		}
		if left := len(b) - w; c > left {
			c = left
		}
		copy(bytesAt(r.pages[pg]+uintptr(off), c), b[w:w+c])
		r.n += c
		w += c
	}
	r.total += uint64(w)
	return w
}

// read copies up to len(b) bytes from skip bytes in, consuming them (and
// the skipped ones) unless peek.
func (r *ring) read(b []byte, skip int, peek bool) int {
	head, n := (r.head+skip)%ringSize, r.n-skip
	got := 0
	for got < len(b) && n > 0 {
		pg, off := head/pageSize, head%pageSize
		c := pageSize - off
		if c > n {
			c = n
		}
		c = copy(b[got:], bytesAt(r.pages[pg]+uintptr(off), c))
		got += c
		n -= c
		head = (head + c) % ringSize
	}
	if !peek {
		r.head, r.n = head, n
	}
	return got
}

// drop discards n bytes.
func (r *ring) drop(n int) {
	if n > r.n {
		n = r.n
	}
	r.head = (r.head + n) % ringSize
	r.n -= n
}

func (r *ring) free() {
	for i, pg := range r.pages {
		if pg != 0 {
			freeFrame(pg)
			r.pages[i] = 0
		}
	}
	r.head, r.n, r.total = 0, 0, 0
}

const dgramHdr = 20 // [len u16][port u16][ip 16]

func sockSend(k int, b []byte, flags, addr, addrlen, nr uint64) uint64 {
	s := &sockets[k]
	nonblock := s.nonblock || flags&msgDontwait != 0
	if s.typ == sockDgram {
		return dgramSend(k, b, addr, addrlen)
	}
	if s.ext {
		return extSend(k, b, nonblock, flags, nr)
	}
	if s.state != ssConnected {
		return errno(eNOTCONN)
	}
	if s.wrShut || s.peer < 0 {
		if s.reset {
			s.reset = false
			return errno(eCONNRESET)
		}
		// A TCP peer that closed cleanly answers the first segment sent
		// after its close with a reset (RFC 9293 §3.10.7.1): Linux lets
		// that write succeed, its data lost, and fails the next with EPIPE
		// (a TLS close_notify sent after the server closed is such a
		// write). A unix socket fails at once.
		if !s.wrShut && s.family != afUnix && !s.sentAfterClose {
			s.sentAfterClose = true
			return uint64(len(b))
		}
		if flags&msgNosignal == 0 {
			sendProcess(sigPIPE, sigInfoLite{code: siKernel})
		}
		return errno(ePIPE)
	}
	p := int(s.peer)
	if sockets[p].rdShut {
		return uint64(len(b)) // the peer discards what it will never read
	}
	if s.typ == sockSeqpacket {
		return seqpacketSend(k, p, b, nonblock, nr)
	}
	w := sockets[p].rx.write(b)
	if w == 0 && len(b) > 0 {
		if nonblock {
			return errno(eAGAIN)
		}
		return blockRetry(fdSocket, int32(k), nr)
	}
	objectChanged(fdSocket, int32(p))
	return uint64(w)
}

func dgramSend(k int, b []byte, addr, addrlen uint64) uint64 {
	s := &sockets[k]
	switch s.family {
	case afUnix:
		return unixDgramSend(k, b, addr, addrlen)
	case afNetlink:
		return netlinkSend(k, b) // every destination is the kernel
	}
	dst := s.remote
	if addr != 0 {
		a, r := readSockaddr(s, addr, addrlen)
		if r != 0 {
			return r
		}
		dst = a
	} else if s.state != ssConnected {
		return errno(eDESTADDRREQ)
	}
	if len(b) > 65507 {
		return errno(eMSGSIZE)
	}
	if !s.bound {
		if r := autobind(k, &dst); r != 0 {
			return r
		}
	}
	if !isLocal(&dst.ip) {
		return extSendto(k, b, dst)
	}
	for j := range sockets {
		o := &sockets[j]
		if o.typ != sockDgram || !o.bound || o.local.port != dst.port {
			continue
		}
		if !isUnspecified(&o.local.ip) && o.local.ip != dst.ip {
			continue
		}
		if o.family == afInet && !isMapped(&dst.ip) {
			continue
		}
		if ringSize-o.rx.n < dgramHdr+len(b) {
			return uint64(len(b)) // receiver full: dropped, as UDP does
		}
		var h [dgramHdr]byte
		put16(h[0:], uint16(len(b)))
		put16(h[2:], s.local.port)
		copy(h[4:], s.local.ip[:])
		o.rx.write(h[:])
		o.rx.write(b)
		objectChanged(fdSocket, int32(j))
		return uint64(len(b))
	}
	// No socket has the port: Linux's loopback answers with ICMP port
	// unreachable, which a connected socket reports as ECONNREFUSED on its
	// next receive (udp(7)); an unconnected one ignores it.
	if s.state == ssConnected {
		s.soError = eCONNREFUSED
		objectChanged(fdSocket, int32(k))
	}
	return uint64(len(b))
}

// sockRecv reads from socket k into b; descriptors in flight whose bytes
// this read consumed are closed (socket_rights.go).
func sockRecv(k int, b []byte, flags, addr, lenp, nr uint64) uint64 {
	r := sockRecvData(k, b, flags, addr, lenp, nr)
	if sockets[k].family == afUnix && int64(r) >= 0 && r != noReturn {
		dropPassed(k, false)
	}
	return r
}

func sockRecvData(k int, b []byte, flags, addr, lenp, nr uint64) uint64 {
	s := &sockets[k]
	nonblock := s.nonblock || flags&msgDontwait != 0
	peek := flags&msgPeek != 0
	if s.typ == sockDgram {
		if s.rx.n == 0 && s.soError != 0 {
			e := s.soError
			s.soError = 0
			return errno(int(e))
		}
		if s.rx.n == 0 {
			if nonblock {
				return errno(eAGAIN)
			}
			return blockRetry(fdSocket, int32(k), nr)
		}
		var h [dgramHdr]byte
		s.rx.read(h[:], 0, true)
		size := int(get16(h[0:]))
		if s.family == afUnix {
			if r := writeUnixSender(h[4:12], addr, lenp); r != 0 {
				return r
			}
		} else if s.family == afNetlink {
			if r := writeNetlinkAddr(0, addr, lenp); r != 0 {
				return r
			}
		} else {
			var from sockAddr
			from.port = get16(h[2:])
			copy(from.ip[:], h[4:])
			if r := writeSockaddr(s, from, addr, lenp); r != 0 {
				return r
			}
		}
		n := size
		if n > len(b) {
			n = len(b)
		}
		n = s.rx.read(b[:n], dgramHdr, true)
		if !peek {
			s.rx.drop(dgramHdr + size)
			if s.peer >= 0 {
				objectChanged(fdSocket, s.peer) // the other of the pair has room again
			}
		}
		if flags&msgTrunc != 0 {
			return uint64(size)
		}
		return uint64(n)
	}
	if s.state != ssConnected {
		return errno(eNOTCONN)
	}
	if s.rx.n == 0 {
		if s.reset {
			s.reset = false
			return errno(eCONNRESET)
		}
		if s.rdShut || s.peerGone {
			return 0
		}
		if nonblock {
			return errno(eAGAIN)
		}
		return blockRetry(fdSocket, int32(k), nr)
	}
	if s.typ == sockSeqpacket {
		return seqpacketRecv(k, b, flags)
	}
	n := s.rx.read(b, 0, peek)
	if addr != 0 && s.family != afUnix {
		if r := writeSockaddr(s, s.remote, addr, lenp); r != 0 {
			return r
		}
	}
	if !peek && s.peer >= 0 {
		objectChanged(fdSocket, s.peer) // the writer has room again
	}
	if !peek && s.ext && s.rxFull {
		s.rxFull = false
		s.work |= wRxSpace
		kickPump()
	}
	return uint64(n)
}

// sockReadiness is the epoll state of socket k.
func sockReadiness(k int) uint32 {
	s := &sockets[k]
	var r uint32
	switch {
	case s.state == ssListening:
		if s.qn > 0 {
			r |= epollIn
		}
	case s.typ == sockDgram:
		// One of a socket pair is writable while its peer has room; any
		// other datagram socket always is.
		if s.peer < 0 || ringSize-sockets[s.peer].rx.n > dgramHdr {
			r |= epollOut
		}
		if s.rx.n > 0 {
			r |= epollIn
		}
		if s.soError != 0 {
			r |= epollErr
		}
	case s.ext:
		return extReadiness(s)
	case s.state == ssConnected:
		if s.rx.n > 0 || s.rdShut || s.peerGone {
			r |= epollIn
		}
		if s.peerGone {
			r |= epollRdhup
		}
		if s.peer >= 0 && sockets[s.peer].rx.n < ringSize || s.peer < 0 {
			r |= epollOut
		}
		if s.peerGone && s.wrShut || s.peer < 0 && s.peerGone {
			r |= epollHup
		}
		if s.reset {
			r |= epollErr
		}
	default: // a fresh stream socket, or one whose connect was refused
		r |= epollOut | epollHup
		if s.soError != 0 {
			r |= epollErr
		}
	}
	return r
}

// Socket options (levels and names from include/uapi/asm-generic/socket.h,
// linux/tcp.h, linux/in6.h). Options with no effect here are stored so a
// program reads back what it set.
const (
	solSocket    = 1
	soReuseaddr  = 2
	soType       = 3
	soError      = 4
	soSndbuf     = 7
	soRcvbuf     = 8
	soKeepalive  = 9
	soPasscred   = 16
	soProtocol   = 38
	soDomain     = 39
	soAcceptconn = 30
	soLinger     = 13

	ipprotoIP   = 0
	ipprotoTCP  = 6
	ipprotoIPv6 = 41
	ipv6V6only  = 26
)

// storedOpts are the integer options a socket keeps as they were set, for
// getsockopt to read back, with Linux's defaults before any set (socket(7),
// ip(7), tcp(7)). They change nothing else: the network stack's sockets
// use its own settings.
var storedOpts = [...]struct {
	level, name uint64
	def         int32
}{
	{solSocket, soKeepalive, 0},
	{solSocket, soPasscred, 0}, // optPasscred: socket_rights.go reads it
	{solSocket, 6, 0},          // SO_BROADCAST
	{solSocket, 15, 0},         // SO_REUSEPORT
	{solSocket, 18, 1},         // SO_RCVLOWAT
	{ipprotoIP, 1, 0},          // IP_TOS
	{ipprotoIP, 2, 64},         // IP_TTL
	{ipprotoIP, 11, 0},         // IP_RECVERR
	{ipprotoTCP, 1, 0},         // TCP_NODELAY
	{ipprotoTCP, 2, 536},       // TCP_MAXSEG
	{ipprotoTCP, 3, 0},         // TCP_CORK
	{ipprotoTCP, 4, 7200},      // TCP_KEEPIDLE
	{ipprotoTCP, 5, 75},        // TCP_KEEPINTVL
	{ipprotoTCP, 6, 9},         // TCP_KEEPCNT
	{ipprotoTCP, 7, 6},         // TCP_SYNCNT
	{ipprotoTCP, 9, 0},         // TCP_DEFER_ACCEPT
	{ipprotoTCP, 12, 1},        // TCP_QUICKACK
	{ipprotoTCP, 18, 0},        // TCP_USER_TIMEOUT
	{ipprotoTCP, 23, 0},        // TCP_FASTOPEN
}

// optPasscred is SO_PASSCRED's slot: a unix socket that has it set
// receives the sender's credentials with every message (unix(7)).
const optPasscred = 1

// optSlot returns the slot of socket.opts that stores option (level,
// name), or -1.
func optSlot(level, name uint64) int {
	for k, o := range storedOpts {
		if o.level == level && o.name == name {
			return k
		}
	}
	return -1
}

// optValue is socket s's value of the option in slot k.
func optValue(s *socket, k int) int32 {
	if s.optSet&(1<<k) != 0 {
		return s.opts[k]
	}
	return storedOpts[k].def
}

// Socket buffer sizes as Linux reports them: its default
// net.core.rmem_max and wmem_max, and its least buffers.
const (
	bufMax    = 212992
	minSndbuf = 4608
	minRcvbuf = 2304
)

func sysSetsockopt(fd, level, name, val, n uint64) uint64 {
	k, r := sockOf(fd)
	if r != 0 {
		return r
	}
	if n < 4 || !userOK(uintptr(val), 4, false) {
		return errno(eINVAL)
	}
	v := *ptr[int32](uintptr(val))
	s := &sockets[k]
	switch {
	case level == solSocket && name == soReuseaddr:
		s.reuse = v != 0
	case level == solSocket && (name == soSndbuf || name == soRcvbuf):
		// Linux keeps twice the size asked for (its own bookkeeping),
		// after capping it at net.core.[rw]mem_max and raising it to its
		// minimum (socket(7); SOCK_MIN_SNDBUF and SOCK_MIN_RCVBUF in
		// include/net/sock.h). The rings themselves do not change size.
		u := min(uint32(v), bufMax)
		if name == soSndbuf {
			s.sndbuf = max(int32(2*u), minSndbuf)
		} else {
			s.rcvbuf = max(int32(2*u), minRcvbuf)
		}
	case level == ipprotoIPv6 && name == ipv6V6only:
		if s.bound {
			return errno(eINVAL)
		}
		s.v6only = v != 0
	case level == solSocket && name == soLinger: // struct linger {int onoff, linger}
		if n < 8 || !userOK(uintptr(val), 8, false) {
			return errno(eINVAL)
		}
		l := ptr[[2]int32](uintptr(val))
		s.linger0 = l[0] != 0 && l[1] == 0
	default:
		if slot := optSlot(level, name); slot >= 0 {
			s.opts[slot] = v
			s.optSet |= 1 << slot
		}
	}
	return 0
}

func sysGetsockopt(fd, level, name, val, lenp uint64) uint64 {
	k, r := sockOf(fd)
	if r != 0 {
		return r
	}
	if !userOK(uintptr(lenp), 4, true) {
		return errno(eFAULT)
	}
	if *ptr[uint32](uintptr(lenp)) < 4 || !userOK(uintptr(val), 4, true) {
		return errno(eINVAL)
	}
	s := &sockets[k]
	var v int32
	switch {
	case level == solSocket && name == soError:
		v, s.soError = s.soError, 0
	case level == solSocket && name == soType:
		v = int32(s.typ)
	case level == solSocket && name == soDomain:
		v = int32(s.family)
	case level == solSocket && name == soProtocol:
		v = 6
		if s.typ == sockDgram {
			v = 17
		}
	case level == solSocket && name == soAcceptconn:
		if s.state == ssListening {
			v = 1
		}
	case level == solSocket && name == soReuseaddr:
		if s.reuse {
			v = 1
		}
	case level == solSocket && name == soSndbuf:
		v = s.sndbuf
	case level == solSocket && name == soRcvbuf:
		v = s.rcvbuf
	case level == ipprotoIPv6 && name == ipv6V6only:
		if s.v6only {
			v = 1
		}
	default:
		slot := optSlot(level, name)
		if slot < 0 {
			return errno(eNOPROTOOPT)
		}
		v = optValue(s, slot)
	}
	*ptr[int32](uintptr(val)) = v
	*ptr[uint32](uintptr(lenp)) = 4
	return 0
}

// msghdr (x86-64): name @0, namelen u32 @8, iov @16, iovlen @24,
// control @32, controllen @40, flags i32 @48.
var dgramScratch [65536]byte

func sysSendmsg(fd, msg, flags, nr uint64) uint64 {
	return msgTransfer(fd, msg, flags, nr, true)
}

func sysRecvmsg(fd, msg, flags, nr uint64) uint64 {
	return msgTransfer(fd, msg, flags, nr, false)
}

func msgTransfer(fd, msg, flags, nr uint64, send bool) uint64 {
	k, r := sockOf(fd)
	if r != 0 {
		return r
	}
	if !userOK(uintptr(msg), 56, !send) {
		return errno(eFAULT)
	}
	m := bytesAt(uintptr(msg), 56)
	name, namelen := get64(m[0:]), uint64(get32(m[8:]))
	iov, iovlen := get64(m[16:]), get64(m[24:])
	if iovlen > 1024 || !userOK(uintptr(iov), uintptr(iovlen*16), false) {
		return errno(eINVAL)
	}
	// Gather into (or scatter from) one buffer, so a datagram stays whole.
	total := 0
	for j := uint64(0); j < iovlen; j++ {
		v := ptr[[2]uint64](uintptr(iov + j*16))
		if !userOK(uintptr(v[0]), uintptr(v[1]), !send) {
			return errno(eFAULT)
		}
		if total+int(v[1]) > len(dgramScratch) {
			break
		}
		if send {
			copy(dgramScratch[total:], bytesAt(uintptr(v[0]), int(v[1])))
		}
		total += int(v[1])
	}
	var res uint64
	s := &sockets[k]
	ctl, ctlLen := get64(m[32:]), get64(m[40:])
	if send {
		if name == 0 {
			namelen = 0
		}
		// Descriptors go with the first byte sent (socket_rights.go).
		slot, r := sendRights(k, ctl, ctlLen, name, namelen)
		if r != 0 {
			return r
		}
		res = sockSend(k, dgramScratch[:total], flags, name, namelen, nr)
		commitRights(slot, int64(res) >= 0 && res != noReturn)
	} else {
		lenp := uint64(0)
		if name != 0 {
			lenp = msg + 8
		}
		// A datagram's (or a record's) whole size tells whether it was
		// cut (MSG_TRUNC in msg_flags); the call returns it only if asked
		// to.
		dgram := s.typ == sockDgram || s.typ == sockSeqpacket
		rflags := flags
		if dgram {
			rflags |= msgTrunc
		}
		// Descriptors in flight come with the bytes they were sent with.
		var f flight
		slot := -1
		if s.family == afUnix && flags&msgPeek == 0 {
			f, slot, total = takeRights(k, total)
		}
		res = sockRecv(k, dgramScratch[:total], rflags, name, lenp, nr)
		done := int64(res) >= 0 && res != noReturn
		if slot >= 0 && !done {
			flights[slot] = f // not received: the call fails or is run again
		}
		if done {
			var ctlOut uint64
			var ctlFlags uint32
			if s.family == afUnix {
				ctlOut, ctlFlags = receiveControl(k, &f, ctl, ctlLen, flags&msgCmsgCloexec != 0)
			}
			put64(m[40:], ctlOut)
			n, off := int(res), 0
			if n > total {
				n = total
			}
			for j := uint64(0); j < iovlen && off < n; j++ {
				v := ptr[[2]uint64](uintptr(iov + j*16))
				off += copy(bytesAt(uintptr(v[0]), int(v[1])), dgramScratch[off:n])
			}
			// Linux hands MSG_CMSG_CLOEXEC back in msg_flags
			// (net/socket.c, ___sys_recvmsg).
			mflags := uint32(flags&msgCmsgCloexec) | ctlFlags
			if dgram && int(res) > total {
				mflags |= msgTrunc
			}
			if dgram && flags&msgTrunc == 0 {
				res = uint64(n)
			}
			put32(m[48:], mflags)
		}
	}
	return res
}

func sysSendto(fd, buf, n, flags, addr, addrlen, nr uint64) uint64 {
	k, r := sockOf(fd)
	if r != 0 {
		return r
	}
	if n > maxIO {
		n = maxIO
	}
	if !userOK(uintptr(buf), uintptr(n), false) {
		return errno(eFAULT)
	}
	return sockSend(k, bytesAt(uintptr(buf), int(n)), flags, addr, addrlen, nr)
}

func sysRecvfrom(fd, buf, n, flags, addr, lenp, nr uint64) uint64 {
	k, r := sockOf(fd)
	if r != 0 {
		return r
	}
	if n > maxIO {
		n = maxIO
	}
	if !userOK(uintptr(buf), uintptr(n), true) {
		return errno(eFAULT)
	}
	return sockRecv(k, bytesAt(uintptr(buf), int(n)), flags, addr, lenp, nr)
}

// sysSocketpair joins two new stream sockets (AF_UNIX, SOCK_STREAM only).
func sysSocketpair(family, typ, proto, sv uint64) uint64 {
	if family != afUnix {
		return errno(eOPNOTSUPP)
	}
	t := typ & sockTypeMask
	if t != sockStream && t != sockDgram && t != sockSeqpacket {
		return errno(eOPNOTSUPP)
	}
	if !userOK(uintptr(sv), 8, true) {
		return errno(eFAULT)
	}
	a, b := allocSocket(), -1
	if a >= 0 {
		if b = allocSocket(); b < 0 {
			freeSocket(a)
		}
	}
	if b < 0 {
		return errno(eNFILE)
	}
	for _, p := range [2][2]int{{a, b}, {b, a}} {
		s := &sockets[p[0]]
		s.family, s.typ, s.state = afUnix, uint16(t), ssConnected
		s.peer = int32(p[1])
		s.nonblock = typ&sockNonblock != 0
	}
	fa := installFD(fdSocket, int32(a), typ&sockCloexec != 0)
	if int64(fa) < 0 {
		freeSocket(a)
		freeSocket(b)
		return fa
	}
	fb := installFD(fdSocket, int32(b), typ&sockCloexec != 0)
	if int64(fb) < 0 {
		unref(int(fa))
		freeSocket(b)
		return fb
	}
	p := ptr[[2]int32](uintptr(sv))
	p[0], p[1] = int32(fa), int32(fb)
	return 0
}
