package kernel

// Sockets. The kernel keeps every socket's state and receive buffer itself,
// so socket calls are answered at once in trap context. Connections between
// the guest's own addresses (loopback) are joined here directly: a stream
// socket's send goes straight into its peer's receive ring, a datagram into
// the bound socket's queue. Other destinations need the network stack
// (docs/net.md) and fail with ENETUNREACH until it is attached.

const (
	maxSockets  = 1024
	ringPages   = 16 // 64 KiB receive buffer per socket, allocated on first use
	ringSize    = ringPages * pageSize
	acceptDepth = 4096 // listen(2)'s backlog cap here (SOMAXCONN)

	afUnix  = 1
	afInet  = 2
	afInet6 = 10

	sockStream    = 1
	sockSeqpacket = 5 // AF_UNIX only: a stream that keeps message boundaries
	sockDgram     = 2
	sockTypeMask  = 0xf
	sockNonblock  = 0x800
	sockCloexec   = 0x80000

	msgPeek        = 0x2
	msgDontwait    = 0x40
	msgNosignal    = 0x4000
	msgTrunc       = 0x20
	msgCmsgCloexec = 0x40000000
	msgCtrunc      = 0x8

	ephemeralLo = 32768
	ephemeralHi = 60999
)

type sockState uint8

const (
	ssFree sockState = iota
	ssOpen
	ssListening
	ssConnecting // waiting for the network stack to complete a connect
	ssConnected
	ssClosing // closed by the program, waiting for the network stack to let go
)

// sockAddr is an address and port; IPv4 addresses are kept v4-mapped.
type sockAddr struct {
	ip   [16]byte
	port uint16
}

type socket struct {
	refs           int32
	family         uint16
	typ            uint16
	state          sockState
	nonblock       bool
	v6only         bool
	reuse          bool
	bound          bool
	local          sockAddr
	remote         sockAddr
	peer           int32 // connected stream peer, -1 if none
	rdShut         bool  // shutdown(SHUT_RD) here
	wrShut         bool  // shutdown(SHUT_WR) here: the peer reads EOF
	peerGone       bool  // the peer closed or shut down writing
	reset          bool  // the peer vanished with data unread: ECONNRESET
	sentAfterClose bool  // a write went after the TCP peer closed: the next fails
	linger0        bool  // SO_LINGER on with a zero timeout: close resets the peer
	soError        int32
	rcvbuf         int32
	sndbuf         int32
	nlPort         uint32 // a bound netlink socket's port ID (socket_netlink.go)
	// Receive ring. For datagram sockets each record is
	// [len u16][port u16][ip 16] then the payload.
	rx ring
	// Listening sockets: connections waiting for accept, a list linked
	// through the queued sockets' qnext.
	backlog int32
	qhead   int32
	qtail   int32
	qn      int
	qnext   int32
	// Options a program may read back (storedOpts), and which were set.
	opts   [len(storedOpts)]int32
	optSet uint32

	// AF_UNIX names (socket_unix.go): this socket's and its peer's.
	uname unixName
	rname unixName
	gen   uint32 // counts reuses of the slot, so a datagram's sender can be named later

	// Sockets whose other end is on the network (socket_ext.go): what the
	// program sent waits in the transmit ring for the network stack.
	ext       bool   // connected through the network stack
	announced bool   // the network stack knows this socket
	connWait  bool   // a blocking connect is waiting
	work      uint32 // pending work for the network stack (wListen...)
	rxFull    bool   // the pump's last push did not fit: a read that makes room tells it
	tx        ring
}

var (
	sockets       [maxSockets]socket
	nextEphemeral uint16 = ephemeralLo
)

func allocSocket() int {
	for k := range sockets {
		if sockets[k].refs == 0 && sockets[k].state == ssFree && !sockets[k].announced {
			gen := sockets[k].gen + 1
			sockets[k] = socket{refs: 1, state: ssOpen, peer: -1, rcvbuf: ringSize, sndbuf: ringSize, gen: gen}
			return k
		}
	}
	return -1
}

func sysSocket(family, typ, proto uint64) uint64 {
	t := typ & sockTypeMask
	switch family {
	case afInet, afInet6:
	case afUnix:
	case afNetlink:
		if r := netlinkSocket(t, proto); r != 0 {
			return r
		}
		t, proto = sockDgram, 0 // SOCK_RAW and SOCK_DGRAM are the same here
	default:
		return errno(eAFNOSUPPORT)
	}
	if t != sockStream && t != sockDgram && !(t == sockSeqpacket && family == afUnix) || typ&^(sockTypeMask|sockNonblock|sockCloexec) != 0 {
		return errno(eINVAL)
	}
	if proto != 0 && (family == afUnix || !(t == sockStream && proto == 6) && !(t == sockDgram && proto == 17)) {
		return errno(ePROTONOSUPPORT)
	}
	k := allocSocket()
	if k < 0 {
		return errno(eNFILE)
	}
	s := &sockets[k]
	s.family, s.typ, s.nonblock = uint16(family), uint16(t), typ&sockNonblock != 0
	r := installFD(fdSocket, int32(k), typ&sockCloexec != 0)
	if int64(r) < 0 {
		freeSocket(k)
	}
	return r
}

func sockOf(fd uint64) (int, uint64) {
	e, ok := getFD(fd)
	if !ok {
		return -1, errno(eBADF)
	}
	if e.kind != fdSocket {
		return -1, errno(eNOTSOCK)
	}
	return int(e.obj), 0
}

// readSockaddr parses a struct sockaddr_in or sockaddr_in6.
func readSockaddr(s *socket, addr, n uint64) (sockAddr, uint64) {
	var a sockAddr
	if n < 2 || n > 128 || !userOK(uintptr(addr), uintptr(n), false) {
		return a, errno(eINVAL)
	}
	b := bytesAt(uintptr(addr), int(n))
	switch uint64(get16(b)) {
	case afInet:
		if n < 16 {
			return a, errno(eINVAL)
		}
		if s.family == afInet6 && s.v6only {
			return a, errno(eAFNOSUPPORT)
		}
		a.ip[10], a.ip[11] = 0xff, 0xff
		copy(a.ip[12:], b[4:8])
	case afInet6:
		if n < 24 || s.family != afInet6 {
			return a, errno(eAFNOSUPPORT)
		}
		copy(a.ip[:], b[8:24])
	case 0: // AF_UNSPEC
		return a, errno(eAFNOSUPPORT)
	default:
		return a, errno(eAFNOSUPPORT)
	}
	a.port = uint16(b[2])<<8 | uint16(b[3])
	return a, 0
}

// writeSockaddr stores a in the caller's buffer (addr, *lenp) as
// sockaddr_in or sockaddr_in6.
func writeSockaddr(s *socket, a sockAddr, addr, lenp uint64) uint64 {
	var tmp [28]byte
	size := 16
	if s.family == afInet6 {
		size = 28
		put16(tmp[0:], afInet6)
		copy(tmp[8:24], a.ip[:])
	} else {
		put16(tmp[0:], afInet)
		copy(tmp[4:8], a.ip[12:])
	}
	tmp[2], tmp[3] = byte(a.port>>8), byte(a.port)
	return putSockaddr(tmp[:size], addr, lenp)
}

// putSockaddr copies the encoded address sa to the caller's buffer (addr,
// *lenp), truncating to *lenp as Linux does, and sets *lenp to the full
// size (accept(2), getsockname(2)). A nil addr asks for nothing.
func putSockaddr(sa []byte, addr, lenp uint64) uint64 {
	if addr == 0 {
		return 0
	}
	if !userOK(uintptr(lenp), 4, true) {
		return errno(eFAULT)
	}
	l := ptr[uint32](uintptr(lenp))
	n := int(*l)
	if n > len(sa) {
		n = len(sa)
	}
	if n < 0 || !userOK(uintptr(addr), uintptr(n), true) {
		return errno(eFAULT)
	}
	copy(bytesAt(uintptr(addr), n), sa[:n])
	*l = uint32(len(sa))
	return 0
}

func isMapped(ip *[16]byte) bool {
	for k := 0; k < 10; k++ {
		if ip[k] != 0 {
			return false
		}
	}
	return ip[10] == 0xff && ip[11] == 0xff
}

func isUnspecified(ip *[16]byte) bool {
	for k := 0; k < 16; k++ {
		if ip[k] != 0 && !(k >= 10 && k < 12 && ip[k] == 0xff && isMapped(ip)) {
			return false
		}
	}
	return true
}

// isLocal reports whether ip is one of the guest's addresses: loopback
// (127/8, ::1), unspecified (which Linux also treats as this host), or an
// address the network stack configured.
func isLocal(ip *[16]byte) bool {
	if isUnspecified(ip) || isNetAddr(ip) {
		return true
	}
	if isMapped(ip) {
		return ip[12] == 127
	}
	for k := 0; k < 15; k++ {
		if ip[k] != 0 {
			return false
		}
	}
	return ip[15] == 1
}

// overlaps reports whether two bound addresses could receive the same packet.
func overlaps(a, b *socket) bool {
	if a.typ != b.typ || a.local.port != b.local.port {
		return false
	}
	if isUnspecified(&a.local.ip) || isUnspecified(&b.local.ip) {
		// A v6-only socket on :: does not cover IPv4 and vice versa.
		if a.family != b.family && (a.v6only || b.v6only) {
			return false
		}
		return true
	}
	return a.local.ip == b.local.ip
}

func portInUse(k int, s *socket) bool {
	for j := range sockets {
		o := &sockets[j]
		if j == k || o.state == ssFree || !o.bound || !overlaps(s, o) {
			continue
		}
		if !(s.reuse && o.reuse && o.state != ssListening) {
			return true
		}
	}
	return false
}

func bindTo(k int, a sockAddr) uint64 {
	s := &sockets[k]
	if s.bound {
		return errno(eINVAL)
	}
	if !isLocal(&a.ip) {
		return errno(eADDRNOTAVAIL)
	}
	s.local = a
	if a.port == 0 {
		for try := 0; try <= ephemeralHi-ephemeralLo; try++ {
			s.local.port = nextEphemeral
			if nextEphemeral++; nextEphemeral > ephemeralHi {
				nextEphemeral = ephemeralLo
			}
			if !portInUse(k, s) {
				s.bound = true
				announceBound(k)
				return 0
			}
		}
		return errno(eADDRINUSE)
	}
	if portInUse(k, s) {
		return errno(eADDRINUSE)
	}
	s.bound = true
	announceBound(k)
	return 0
}

func sysBind(fd, addr, n uint64) uint64 {
	k, r := sockOf(fd)
	if r != 0 {
		return r
	}
	switch sockets[k].family {
	case afUnix:
		return unixBind(k, addr, n)
	case afNetlink:
		return netlinkBind(k, addr, n)
	}
	a, r := readSockaddr(&sockets[k], addr, n)
	if r != 0 {
		return r
	}
	return bindTo(k, a)
}

func sysListen(fd, backlog uint64) uint64 {
	k, r := sockOf(fd)
	if r != 0 {
		return r
	}
	s := &sockets[k]
	if s.typ == sockDgram || s.state == ssConnected {
		return errno(eINVAL)
	}
	if !s.bound && s.family == afUnix {
		unixAutobind(k)
	}
	if !s.bound {
		var any sockAddr
		if s.family == afInet {
			any.ip[10], any.ip[11] = 0xff, 0xff
		}
		if r := bindTo(k, any); r != 0 {
			return r
		}
	}
	b := int32(backlog)
	if b <= 0 || b > acceptDepth {
		b = acceptDepth
	}
	s.backlog = b
	s.state = ssListening
	announceBound(k)
	return 0
}

// findListener returns the listening socket for a connection to a.
func findListener(family uint16, a sockAddr) int {
	best := -1
	for j := range sockets {
		o := &sockets[j]
		if o.state != ssListening || o.local.port != a.port {
			continue
		}
		if o.family == afInet && !isMapped(&a.ip) || o.family == afInet6 && o.v6only && isMapped(&a.ip) {
			continue
		}
		if o.local.ip == a.ip {
			return j
		}
		if isUnspecified(&o.local.ip) {
			best = j
		}
	}
	return best
}

func sysConnect(fd, addr, n, nr uint64) uint64 {
	k, r := sockOf(fd)
	if r != 0 {
		return r
	}
	if sockets[k].family == afUnix {
		return unixConnect(k, addr, n)
	}
	s := &sockets[k]
	a, r := readSockaddr(s, addr, n)
	if r != 0 {
		return r
	}
	if s.typ == sockStream && s.connWait {
		return finishConnect(k, nr)
	}
	if s.typ == sockDgram { // a datagram socket only remembers its peer
		if !s.bound {
			if r := autobind(k, &a); r != 0 {
				return r
			}
		}
		s.remote = a
		s.state = ssConnected
		return 0
	}
	switch s.state {
	case ssConnected:
		return errno(eISCONN)
	case ssConnecting:
		return errno(eALREADY)
	case ssListening:
		return errno(eINVAL)
	}
	if e := s.soError; e != 0 && !s.ext { // a refusal not yet collected
		s.soError = 0
		return errno(int(e))
	}
	if !isLocal(&a.ip) {
		return connectExt(k, a, nr)
	}
	if isUnspecified(&a.ip) { // connecting to 0.0.0.0 reaches loopback
		if isMapped(&a.ip) {
			a.ip[12] = 127
			a.ip[15] = 1
		} else {
			a.ip[15] = 1
		}
	}
	l := findListener(s.family, a)
	if l < 0 {
		// Linux's loopback refuses in its softirq, after connect(2)
		// returned: a non-blocking caller gets EINPROGRESS and finds
		// the refusal in SO_ERROR (tcp(7)), or from connecting again.
		if s.nonblock {
			s.soError = eCONNREFUSED
			objectChanged(fdSocket, int32(k))
			return errno(eINPROGRESS)
		}
		return errno(eCONNREFUSED)
	}
	ls := &sockets[l]
	if ls.qn >= int(ls.backlog) {
		return errno(eAGAIN)
	}
	if !s.bound {
		if r := autobind(k, &a); r != 0 {
			return r
		}
	}
	srv := connectPeer(k, l)
	if srv < 0 {
		return errno(eNFILE)
	}
	sockets[srv].local, sockets[srv].remote = a, s.local
	s.remote = a
	return 0
}

// connectPeer makes the server side of a connection from socket k to
// listener l: a new socket linked to k as its peer, both connected, queued
// for accept(2). The caller fills in the addresses. It answers the new
// socket, or -1 when the socket table is full.
func connectPeer(k, l int) int {
	srv := allocSocket()
	if srv < 0 {
		return -1
	}
	ss := &sockets[srv]
	ss.refs = 0 // owned by the accept queue until accepted
	ss.family, ss.typ, ss.state, ss.bound = sockets[l].family, sockets[l].typ, ssConnected, true
	ss.peer = int32(k)
	sockets[k].peer = int32(srv)
	sockets[k].state = ssConnected
	enqueue(l, srv)
	objectChanged(fdSocket, int32(l))
	return srv
}

// enqueue appends connection c to listener l's accept queue.
func enqueue(l, c int) {
	ls := &sockets[l]
	sockets[c].qnext = -1
	if ls.qn == 0 {
		ls.qhead = int32(c)
	} else {
		sockets[ls.qtail].qnext = int32(c)
	}
	ls.qtail = int32(c)
	ls.qn++
}

// dequeue removes and returns the oldest connection of listener l.
func dequeue(l int) int {
	ls := &sockets[l]
	c := int(ls.qhead)
	ls.qhead = sockets[c].qnext
	ls.qn--
	return c
}

// autobind gives an unbound socket a local address matching dst's family:
// dst's own address when it is one of the network's addresses of this host
// (Linux's local routes name the address itself as the source), loopback
// for the other local destinations, the network's address otherwise.
func autobind(k int, dst *sockAddr) uint64 {
	var a sockAddr
	if isNetAddr(&dst.ip) {
		return bindTo(k, sockAddr{ip: dst.ip})
	}
	if !isLocal(&dst.ip) {
		if src, ok := netSource(dst); ok {
			return bindTo(k, sockAddr{ip: src})
		}
		// No address yet (DHCP is still running): any address and an
		// ephemeral port; the network stack reports the address it used.
		if isMapped(&dst.ip) {
			a.ip[10], a.ip[11] = 0xff, 0xff
		}
		return bindTo(k, a)
	}
	if isMapped(&dst.ip) {
		a.ip = [16]byte{10: 0xff, 11: 0xff, 12: 127, 15: 1}
	} else {
		a.ip[15] = 1
	}
	return bindTo(k, a)
}

func sysAccept4(fd, addr, lenp, flags, nr uint64) uint64 {
	k, r := sockOf(fd)
	if r != 0 {
		return r
	}
	if flags&^(sockNonblock|sockCloexec) != 0 {
		return errno(eINVAL)
	}
	s := &sockets[k]
	if s.state != ssListening {
		return errno(eINVAL)
	}
	if s.qn == 0 {
		if s.nonblock {
			return errno(eAGAIN)
		}
		return blockRetry(fdSocket, int32(k), nr)
	}
	if allocFD(0) < 0 {
		return errno(eMFILE)
	}
	c := int(s.qhead)
	cs := &sockets[c]
	if cs.family == afUnix {
		if r := writeUnixAddr(&cs.rname, addr, lenp); r != 0 {
			return r
		}
	} else if r := writeSockaddr(cs, cs.remote, addr, lenp); r != 0 {
		return r
	}
	dequeue(k)
	cs.refs = 1
	cs.nonblock = flags&sockNonblock != 0
	return installFD(fdSocket, int32(c), flags&sockCloexec != 0)
}

func sysGetsockname(fd, addr, lenp uint64, peer bool) uint64 {
	k, r := sockOf(fd)
	if r != 0 {
		return r
	}
	s := &sockets[k]
	if s.family == afUnix {
		if !peer {
			return writeUnixAddr(&s.uname, addr, lenp)
		}
		if s.state != ssConnected {
			return errno(eNOTCONN)
		}
		return writeUnixAddr(&s.rname, addr, lenp)
	}
	if s.family == afNetlink {
		if peer {
			return writeNetlinkAddr(0, addr, lenp) // the kernel
		}
		return writeNetlinkAddr(s.nlPort, addr, lenp)
	}
	a := s.local
	if peer {
		if s.state != ssConnected {
			return errno(eNOTCONN)
		}
		a = s.remote
	} else if !s.bound && s.family == afInet {
		a.ip[10], a.ip[11] = 0xff, 0xff
	}
	return writeSockaddr(s, a, addr, lenp)
}

func sysShutdown(fd, how uint64) uint64 {
	k, r := sockOf(fd)
	if r != 0 {
		return r
	}
	s := &sockets[k]
	if how > 2 {
		return errno(eINVAL)
	}
	if s.state != ssConnected {
		return errno(eNOTCONN)
	}
	if how == 0 || how == 2 {
		s.rdShut = true
	}
	if (how == 1 || how == 2) && !s.wrShut {
		s.wrShut = true
		if s.ext {
			s.work |= wShutWr
			kickPump()
		}
		if s.peer >= 0 {
			sockets[s.peer].peerGone = true
			objectChanged(fdSocket, s.peer)
		}
	}
	objectChanged(fdSocket, int32(k))
	return 0
}

// closeSocket drops the last descriptor of socket k. A socket the network
// stack knows stays allocated until the stack releases it.
func closeSocket(k int) {
	s := &sockets[k]
	if s.state == ssListening {
		for s.qn > 0 { // connections never accepted: their clients see a reset
			c := dequeue(k)
			detachPeer(c, true)
			releaseSocket(c)
		}
	}
	detachPeer(k, s.rx.n > 0 || s.linger0) // an abortive close, as a RST
	releaseSocket(k)
}

// releaseSocket frees k now, or once the network stack lets go of it.
func releaseSocket(k int) {
	s := &sockets[k]
	if !s.announced {
		freeSocket(k)
		return
	}
	s.state = ssClosing
	s.work |= wClose
	kickPump()
}

// detachPeer tells k's peer that k is gone (with a reset if data was lost).
func detachPeer(k int, reset bool) {
	s := &sockets[k]
	if s.peer < 0 {
		return
	}
	p := &sockets[s.peer]
	p.peerGone = true
	p.peer = -1
	if reset {
		p.reset = true
	}
	objectChanged(fdSocket, s.peer)
	s.peer = -1
}

func freeSocket(k int) {
	s := &sockets[k]
	dropPassed(k, true) // descriptors sent to it and never received
	s.rx.free()
	s.tx.free()
	*s = socket{gen: s.gen}
}
