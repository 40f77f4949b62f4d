package kernel

// Sockets whose other end is on the network. The network stack (gVisor's
// netstack with Gobi's NIC drivers) runs as ordinary Go code inside the
// program, in a pump goroutine. It never blocks the program: the kernel keeps
// each socket's receive and transmit rings, answers the program's calls from
// them, and tells the pump what changed through an eventfd and the calls
// below (docs/guestabi.md). The pump moves bytes between the rings and the
// stack's endpoints.

// Work bits: what the pump must do for a socket.
const (
	wListen  = 1 << iota // listen on (or, for datagrams, receive at) the bound port
	wConnect             // open a connection to the remote address
	wTx                  // the transmit ring has data
	wRxSpace             // the receive ring has room again, after a push that did not fit
	wShutWr              // the program shut down writing
	wClose               // the program closed the socket
)

// Events the pump reports.
const (
	evConnected = 1 // arg: 0, or the local address used, ip[16] + port u16
	evRefused   = 2 // arg: errno
	evEOF       = 3
	evReset     = 4
	evRelease   = 5
)

const (
	sysGobiNetAttach = 0x6010 // () -> eventfd signalled when there is work
	sysGobiNetAddr   = 0x6011 // (ip *[16]byte, prefix bits): an address of this host
	sysGobiNetWork   = 0x6012 // (buf, n) -> count of {sock u32, bits u32}
	sysGobiNetInfo   = 0x6013 // (sock, buf *[52]byte)
	sysGobiNetPush   = 0x6014 // (sock, buf, n, from *[18]byte) -> bytes taken
	sysGobiNetPull   = 0x6015 // (sock, buf, n) -> bytes
	sysGobiNetEvent  = 0x6016 // (sock, event, arg)
	sysGobiNetAccept = 0x6017 // (listener, addrs *[36]byte) -> new sock
	sysGobiNetLink   = 0x6018 // (mac *[6]byte, mtu): the card, for rtnetlink

	maxNetAddrs = 8
)

var (
	pumpEventfd int32 = -1
	netAddrs    [maxNetAddrs][16]byte
	netPrefix   [maxNetAddrs]uint8 // each address's prefix length, for rtnetlink
	nNetAddrs   int
)

func sysNet(i int, nr uint64, a *[6]uint64) (uint64, bool) {
	switch nr {
	case sysGobiNetAttach:
		return netAttach(), true
	case sysGobiNetAddr:
		if !userOK(uintptr(a[0]), 16, false) {
			return errno(eFAULT), true
		}
		if nNetAddrs == maxNetAddrs {
			return errno(eNOSPC), true
		}
		ip := *ptr[[16]byte](uintptr(a[0]))
		bits := uint64(128)
		if isMapped(&ip) {
			bits = 32
		}
		if a[1] > bits {
			return errno(eINVAL), true
		}
		if a[1] == 0 {
			a[1] = bits // a host address
		}
		netAddrs[nNetAddrs], netPrefix[nNetAddrs] = ip, uint8(a[1])
		nNetAddrs++
		return 0, true
	case sysGobiNetLink:
		if !userOK(uintptr(a[0]), 6, false) {
			return errno(eFAULT), true
		}
		if a[1] < 68 || a[1] > 65535 { // IPv4's minimum MTU (RFC 791)
			return errno(eINVAL), true
		}
		linkMAC, linkMTU, linkKnown = *ptr[[6]byte](uintptr(a[0])), uint32(a[1]), true
		return 0, true
	case sysGobiNetWork:
		return netWork(a[0], a[1]), true
	case sysGobiNetInfo:
		return netInfo(a[0], a[1]), true
	case sysGobiNetPush:
		return netPush(a[0], a[1], a[2], a[3]), true
	case sysGobiNetPull:
		return netPull(a[0], a[1], a[2]), true
	case sysGobiNetEvent:
		return netEvent(a[0], a[1], a[2]), true
	case sysGobiNetAccept:
		return netAccept(a[0], a[1]), true
	}
	return 0, false
}

func netAttach() uint64 {
	if pumpEventfd >= 0 {
		return errno(eBUSY)
	}
	fd := sysEventfd2(0, efdNonblock|efdCloexec)
	if int64(fd) < 0 {
		return fd
	}
	pumpEventfd = fds[fd].obj
	eventfds[pumpEventfd].refs++
	for k := range sockets {
		announceBound(k)
	}
	return fd
}

func kickPump() {
	if pumpEventfd >= 0 {
		eventfds[pumpEventfd].count++
		objectChanged(fdEventfd, pumpEventfd)
	}
}

func isNetAddr(ip *[16]byte) bool {
	for k := 0; k < nNetAddrs; k++ {
		if netAddrs[k] == *ip {
			return true
		}
	}
	return false
}

// netSource picks this host's address for reaching dst.
func netSource(dst *sockAddr) ([16]byte, bool) {
	v4 := isMapped(&dst.ip)
	for k := 0; k < nNetAddrs; k++ {
		if isMapped(&netAddrs[k]) == v4 {
			return netAddrs[k], true
		}
	}
	return [16]byte{}, false
}

// announceBound tells the pump about a socket that can receive from the
// network: a listener, or a bound datagram socket, on a non-loopback address.
func announceBound(k int) {
	s := &sockets[k]
	if pumpEventfd < 0 || s.family == afUnix || s.announced || !s.bound || s.state == ssFree || s.state == ssClosing {
		return
	}
	if s.typ == sockStream && s.state != ssListening {
		return
	}
	if !isUnspecified(&s.local.ip) && !isNetAddr(&s.local.ip) {
		return
	}
	s.announced = true
	s.work |= wListen
	kickPump()
}

// connectExt starts a connection to a peer outside the guest through the
// host pump; sysConnect has already refused a socket in the wrong state.
func connectExt(k int, a sockAddr, nr uint64) uint64 {
	s := &sockets[k]
	if pumpEventfd < 0 {
		return errno(eNETUNREACH)
	}
	if !s.bound {
		if r := autobind(k, &a); r != 0 {
			return r
		}
	}
	s.remote = a
	s.state = ssConnecting
	s.ext, s.announced = true, true
	s.work |= wConnect
	kickPump()
	if s.nonblock {
		return errno(eINPROGRESS)
	}
	s.connWait = true
	return blockRetry(fdSocket, int32(k), nr)
}

// finishConnect completes a blocking connect when its call is re-run.
func finishConnect(k int, nr uint64) uint64 {
	s := &sockets[k]
	switch {
	case s.state == ssConnecting:
		return blockRetry(fdSocket, int32(k), nr)
	case s.state == ssConnected:
		s.connWait = false
		return 0
	}
	s.connWait = false
	e := s.soError
	s.soError = 0
	if e == 0 {
		e = eCONNREFUSED
	}
	return errno(int(e))
}

func extSend(k int, b []byte, nonblock bool, flags, nr uint64) uint64 {
	s := &sockets[k]
	switch {
	case s.state == ssConnecting:
		if nonblock {
			return errno(eAGAIN)
		}
		return blockRetry(fdSocket, int32(k), nr)
	case s.state != ssConnected:
		return errno(eNOTCONN)
	case s.reset:
		return errno(eCONNRESET)
	case s.wrShut:
		if flags&msgNosignal == 0 {
			sendProcess(sigPIPE, sigInfoLite{code: siKernel})
		}
		return errno(ePIPE)
	}
	w := s.tx.write(b)
	if w == 0 && len(b) > 0 {
		if nonblock {
			return errno(eAGAIN)
		}
		return blockRetry(fdSocket, int32(k), nr)
	}
	s.work |= wTx
	kickPump()
	return uint64(w)
}

// extSendto queues a datagram for the network: [len u16][port u16][ip 16] + payload.
func extSendto(k int, b []byte, dst sockAddr) uint64 {
	s := &sockets[k]
	if pumpEventfd < 0 {
		return errno(eNETUNREACH)
	}
	if ringSize-s.tx.n < dgramHdr+len(b) {
		return errno(eAGAIN)
	}
	var h [dgramHdr]byte
	put16(h[0:], uint16(len(b)))
	put16(h[2:], dst.port)
	copy(h[4:], dst.ip[:])
	s.tx.write(h[:])
	s.tx.write(b)
	s.announced = true
	s.work |= wTx
	kickPump()
	return uint64(len(b))
}

func extReadiness(s *socket) uint32 {
	var r uint32
	switch s.state {
	case ssConnecting:
	case ssConnected:
		if s.rx.n > 0 || s.peerGone || s.rdShut {
			r |= epollIn
		}
		if s.peerGone {
			r |= epollRdhup
		}
		if s.tx.n < ringSize && !s.wrShut {
			r |= epollOut
		}
		if s.reset {
			r |= epollErr | epollHup
		}
		if s.peerGone && s.wrShut {
			r |= epollHup
		}
	default:
		if s.soError != 0 {
			r |= epollOut | epollErr | epollHup
		}
	}
	return r
}

// pumpSock validates a socket number the pump passes.
func pumpSock(sock uint64) (*socket, bool) {
	if sock >= maxSockets || !sockets[sock].announced {
		return nil, false
	}
	return &sockets[sock], true
}

// netWork reports the sockets with work and clears their bits. It also
// consumes the attach eventfd's count, so the pump only waits for the
// eventfd to become readable and never reads it: every kick after this call
// is a new edge (docs/guestabi.md).
func netWork(buf, n uint64) uint64 {
	if n > maxSockets || !userOK(uintptr(buf), uintptr(n*8), true) {
		return errno(eINVAL)
	}
	if pumpEventfd >= 0 {
		eventfds[pumpEventfd].count = 0
	}
	out := bytesAt(uintptr(buf), int(n*8))
	c := 0
	for k := range sockets {
		s := &sockets[k]
		if s.work == 0 || !s.announced {
			continue
		}
		if uint64(c) == n {
			kickPump() // more next time
			break
		}
		put32(out[c*8:], uint32(k))
		put32(out[c*8+4:], s.work)
		s.work = 0
		c++
	}
	return uint64(c)
}

// netInfo layout: family u16 @0, type u16 @2, state u8 @4, flags u8 @5
// (1 read shut, 2 write shut), local ip @8, port @24, remote ip @26,
// port @42, receive-ring room u32 @44, transmit-ring bytes u32 @48.
func netInfo(sock, buf uint64) uint64 {
	s, ok := pumpSock(sock)
	if !ok {
		return errno(eBADF)
	}
	if !userOK(uintptr(buf), 52, true) {
		return errno(eFAULT)
	}
	b := bytesAt(uintptr(buf), 52)
	clear(b)
	put16(b[0:], s.family)
	put16(b[2:], s.typ)
	b[4] = byte(s.state)
	if s.rdShut {
		b[5] |= 1
	}
	if s.wrShut {
		b[5] |= 2
	}
	copy(b[8:24], s.local.ip[:])
	put16(b[24:], s.local.port)
	copy(b[26:42], s.remote.ip[:])
	put16(b[42:], s.remote.port)
	put32(b[44:], uint32(ringSize-s.rx.n))
	put32(b[48:], uint32(s.tx.n))
	return 0
}

func netPush(sock, buf, n, from uint64) uint64 {
	s, ok := pumpSock(sock)
	if !ok {
		return errno(eBADF)
	}
	if n > ringSize || !userOK(uintptr(buf), uintptr(n), false) {
		return errno(eINVAL)
	}
	b := bytesAt(uintptr(buf), int(n))
	var took int
	if s.typ == sockDgram {
		if !userOK(uintptr(from), 18, false) {
			return errno(eFAULT)
		}
		if ringSize-s.rx.n < dgramHdr+len(b) {
			return 0 // full: the datagram is dropped, as UDP does
		}
		f := bytesAt(uintptr(from), 18)
		var h [dgramHdr]byte
		put16(h[0:], uint16(len(b)))
		copy(h[2:4], f[16:18])
		copy(h[4:], f[0:16])
		s.rx.write(h[:])
		took = s.rx.write(b)
	} else {
		took = s.rx.write(b)
		// The pump waits for wRxSpace only after a short push, so only
		// then does a read that makes room kick it: a kick per read woke
		// the pump for nothing on every read of a busy stream.
		s.rxFull = took < len(b)
	}
	objectChanged(fdSocket, int32(sock))
	return uint64(took)
}

func netPull(sock, buf, n uint64) uint64 {
	s, ok := pumpSock(sock)
	if !ok {
		return errno(eBADF)
	}
	if n > ringSize {
		n = ringSize // no record or run of bytes is longer than the ring
	}
	if !userOK(uintptr(buf), uintptr(n), true) {
		return errno(eFAULT)
	}
	b := bytesAt(uintptr(buf), int(n))
	var got int
	if s.typ == sockDgram {
		if s.tx.n == 0 {
			return 0
		}
		var h [dgramHdr]byte
		s.tx.read(h[:], 0, true)
		size := dgramHdr + int(get16(h[0:]))
		if len(b) < size {
			return errno(eMSGSIZE)
		}
		got = s.tx.read(b[:size], 0, false)
	} else {
		got = s.tx.read(b, 0, false)
	}
	objectChanged(fdSocket, int32(sock))
	return uint64(got)
}

func netEvent(sock, ev, arg uint64) uint64 {
	s, ok := pumpSock(sock)
	if !ok {
		return errno(eBADF)
	}
	switch ev {
	case evConnected:
		if s.state == ssConnecting {
			s.state = ssConnected
		}
		if arg != 0 {
			if !userOK(uintptr(arg), 18, false) {
				return errno(eFAULT)
			}
			a := bytesAt(uintptr(arg), 18)
			copy(s.local.ip[:], a[0:16])
			s.local.port = get16(a[16:])
		}
	case evRefused:
		if s.state == ssConnecting {
			s.state = ssOpen
		}
		s.soError = int32(arg)
	case evEOF:
		s.peerGone = true
	case evReset:
		s.peerGone, s.reset = true, true
	case evRelease:
		if s.state == ssClosing {
			freeSocket(int(sock))
			return 0
		}
		s.announced = false
	default:
		return errno(eINVAL)
	}
	objectChanged(fdSocket, int32(sock))
	return 0
}

// netAccept queues a connection the stack accepted on a listener:
// addrs holds the local then the remote address, each ip[16] + port u16.
func netAccept(listener, addrs uint64) uint64 {
	l, ok := pumpSock(listener)
	if !ok || l.state != ssListening {
		return errno(eINVAL)
	}
	if !userOK(uintptr(addrs), 36, false) {
		return errno(eFAULT)
	}
	if l.qn >= int(l.backlog) {
		return errno(eAGAIN)
	}
	c := allocSocket()
	if c < 0 {
		return errno(eNFILE)
	}
	a := bytesAt(uintptr(addrs), 36)
	l = &sockets[listener]
	cs := &sockets[c]
	cs.refs = 0
	cs.family, cs.typ, cs.state = l.family, sockStream, ssConnected
	cs.bound, cs.ext, cs.announced = true, true, true
	copy(cs.local.ip[:], a[0:16])
	cs.local.port = get16(a[16:])
	copy(cs.remote.ip[:], a[18:34])
	cs.remote.port = get16(a[34:])
	enqueue(int(listener), c)
	objectChanged(fdSocket, int32(listener))
	return uint64(c)
}
