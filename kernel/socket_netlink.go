package kernel

// NETLINK_ROUTE sockets (netlink(7), rtnetlink(7)): the part of the route
// family the standard library reads, a dump of the links (RTM_GETLINK) and
// of the addresses (RTM_GETADDR), for net.Interfaces and
// net.InterfaceAddrs. The kernel is the only peer: a datagram the program
// sends is read as netlink messages and answered at once, each answer a
// datagram from port ID 0 in the socket's receive ring. There are two
// links: lo, and eth0 once the network pump has described the card
// (net_link, docs/guestabi.md). Anything else is answered with an
// NLMSG_ERROR of EOPNOTSUPP; multicast groups are accepted and stay silent.

const (
	afNetlink    = 16
	netlinkRoute = 0
	sockRaw      = 3

	nlHdr = 16 // struct nlmsghdr: len u32, type u16, flags u16, seq u32, pid u32

	nlmsgError = 2
	nlmsgDone  = 3
	nlmFMulti  = 0x2
	nlmFDump   = 0x300

	rtmNewLink = 16
	rtmGetLink = 18
	rtmNewAddr = 20
	rtmGetAddr = 22

	iflaAddress = 1
	iflaIfname  = 3
	iflaMTU     = 4
	ifaAddress  = 1
	ifaLocal    = 2
	ifaLabel    = 3

	// nlDatagram bounds one answer datagram: the page the standard library
	// receives into (syscall.NetlinkRIB).
	nlDatagram = 4096
)

// The card the pump described (net_link), shown as eth0.
var (
	linkMAC   [6]byte
	linkMTU   uint32
	linkKnown bool
)

// nlLink is one link as rtnetlink describes it.
type nlLink struct {
	index int32
	typ   uint16 // ARPHRD_*
	flags uint32 // IFF_*
	mtu   uint32
	mac   [6]byte
	name  string
}

func nlLinks() (links [2]nlLink, n int) {
	links[0] = nlLink{index: 1, typ: 772, flags: 0x1 | 0x8 | 0x40, mtu: 65536, name: "lo"} // LOOPBACK; UP, LOOPBACK, RUNNING
	n = 1
	if linkKnown {
		links[1] = nlLink{index: 2, typ: 1, flags: 0x1 | 0x2 | 0x40 | 0x1000, mtu: linkMTU, mac: linkMAC, name: "eth0"} // ETHER; UP, BROADCAST, RUNNING, MULTICAST
		n = 2
	}
	return links, n
}

func netlinkSocket(t, proto uint64) uint64 {
	if t != sockDgram && t != sockRaw {
		return errno(eINVAL)
	}
	if proto != netlinkRoute {
		return errno(ePROTONOSUPPORT)
	}
	return 0
}

// netlinkBind takes a struct sockaddr_nl (family u16, pad u16, pid u32,
// groups u32). Port ID 0 asks the kernel for one: the process ID for the
// first socket, as Linux gives it, then numbers above it.
func netlinkBind(k int, addr, n uint64) uint64 {
	if n < 12 || !userOK(uintptr(addr), 12, false) {
		return errno(eINVAL)
	}
	b := bytesAt(uintptr(addr), 12)
	if get16(b) != afNetlink {
		return errno(eINVAL)
	}
	s := &sockets[k]
	want := get32(b[4:])
	if s.bound {
		if want != 0 && want != s.nlPort {
			return errno(eINVAL)
		}
		return 0
	}
	if want != 0 {
		if netlinkPortUsed(want) {
			return errno(eADDRINUSE)
		}
		s.nlPort, s.bound = want, true
		return 0
	}
	netlinkAutobind(k)
	return 0
}

func netlinkPortUsed(port uint32) bool {
	for j := range sockets {
		if sockets[j].refs > 0 && sockets[j].family == afNetlink && sockets[j].bound && sockets[j].nlPort == port {
			return true
		}
	}
	return false
}

func netlinkAutobind(k int) {
	port := uint32(processID())
	for netlinkPortUsed(port) {
		port++
	}
	sockets[k].nlPort, sockets[k].bound = port, true
}

// writeNetlinkAddr stores a struct sockaddr_nl for port.
func writeNetlinkAddr(port uint32, addr, lenp uint64) uint64 {
	var sa [12]byte
	put16(sa[0:], afNetlink)
	put32(sa[4:], port)
	return putSockaddr(sa[:], addr, lenp)
}

// nlReply gathers one socket's answers into datagrams of at most
// nlDatagram bytes.
type nlReply struct {
	k   int
	buf [nlDatagram]byte
	n   int
	msg int // where the message being built starts
	err uint64
}

func (r *nlReply) flush() {
	if r.n == 0 || r.err != 0 {
		return
	}
	s := &sockets[r.k]
	if ringSize-s.rx.n < dgramHdr+r.n {
		r.err = errno(eNOBUFS) // the program is not reading its answers
		return
	}
	var h [dgramHdr]byte
	put16(h[0:], uint16(r.n))
	s.rx.write(h[:])
	s.rx.write(r.buf[:r.n])
	r.n = 0
	objectChanged(fdSocket, int32(r.k))
}

// begin starts a message of size bytes (header and payload, attributes
// excluded) and returns its payload.
func (r *nlReply) begin(typ, flags uint16, seq uint32, size int) []byte {
	if r.n+size+64 > nlDatagram { // room for the message's attributes
		r.flush()
	}
	r.msg = r.n
	b := r.buf[r.n : r.n+size]
	clear(b)
	put16(b[4:], typ)
	put16(b[6:], flags)
	put32(b[8:], seq)
	put32(b[12:], sockets[r.k].nlPort)
	r.n += size
	return b[nlHdr:]
}

// attr appends a route attribute (struct rtattr: len u16, type u16, then
// the value, padded to 4 bytes).
func (r *nlReply) attr(typ uint16, v []byte) {
	b := r.attrSpace(typ, len(v))
	copy(b, v)
}

// attrName appends a name attribute: the name and its terminating NUL.
func (r *nlReply) attrName(typ uint16, name string) {
	b := r.attrSpace(typ, len(name)+1)
	copy(b, name)
}

// attrSpace appends an attribute of n zero bytes and returns them.
func (r *nlReply) attrSpace(typ uint16, n int) []byte {
	size := (4 + n + 3) &^ 3
	b := r.buf[r.n : r.n+size]
	clear(b)
	put16(b[0:], uint16(4+n))
	put16(b[2:], typ)
	r.n += size
	return b[4 : 4+n]
}

// end sets the length of the message begun last.
func (r *nlReply) end() { put32(r.buf[r.msg:], uint32(r.n-r.msg)) }

// netlinkSend answers the messages in b; it returns len(b) as a send
// does, or ENOBUFS when the answers do not fit the receive ring.
func netlinkSend(k int, b []byte) uint64 {
	s := &sockets[k]
	if !s.bound {
		netlinkAutobind(k)
	}
	r := &nlScratch
	r.k, r.n, r.err = k, 0, 0
	sent := len(b)
	for len(b) >= nlHdr {
		size := int(get32(b))
		if size < nlHdr || size > len(b) {
			break // a truncated message: Linux ignores the rest too
		}
		typ, flags, seq := get16(b[4:]), get16(b[6:]), get32(b[8:])
		body := b[nlHdr:size]
		switch {
		case typ == rtmGetLink && flags&nlmFDump == nlmFDump:
			nlDumpLinks(r, seq)
		case typ == rtmGetAddr && flags&nlmFDump == nlmFDump:
			family := uint8(0)
			if len(body) > 0 {
				family = body[0]
			}
			nlDumpAddrs(r, seq, family)
		case typ < 16: // control messages (NLMSG_NOOP and the like) need no answer
		default:
			nlError(r, b[:nlHdr], seq, eOPNOTSUPP)
		}
		next := (size + 3) &^ 3 // NLMSG_ALIGN; the last message need not be padded
		if next > len(b) {
			next = len(b)
		}
		b = b[next:]
	}
	r.flush()
	if r.err != 0 {
		return r.err
	}
	return uint64(sent)
}

// nlScratch is the answer being built; the kernel runs one call at a time.
var nlScratch nlReply

func nlDumpLinks(r *nlReply, seq uint32) {
	links, n := nlLinks()
	for _, l := range links[:n] {
		p := r.begin(rtmNewLink, nlmFMulti, seq, nlHdr+16) // struct ifinfomsg
		put16(p[2:], l.typ)
		put32(p[4:], uint32(l.index))
		put32(p[8:], l.flags)
		var v [4]byte
		put32(v[:], l.mtu)
		r.attr(iflaMTU, v[:])
		r.attr(iflaAddress, l.mac[:])
		r.attrName(iflaIfname, l.name)
		r.end()
	}
	nlDone(r, seq)
}

// nlDumpAddrs lists IPv4 addresses, then IPv6 ones, as Linux dumps them
// family by family; family, if not 0, keeps only one.
func nlDumpAddrs(r *nlReply, seq uint32, family uint8) {
	var lo4, lo6 [16]byte
	lo4[10], lo4[11], lo4[12], lo4[15] = 0xff, 0xff, 127, 1
	lo6[15] = 1
	for _, f := range [2]uint8{afInet, afInet6} {
		if family != 0 && family != f {
			continue
		}
		if f == afInet {
			nlAddr(r, seq, &lo4, 8, 1, 254, "lo") // host scope
		} else {
			nlAddr(r, seq, &lo6, 128, 1, 254, "lo")
		}
		for a := 0; linkKnown && a < nNetAddrs; a++ {
			if isMapped(&netAddrs[a]) != (f == afInet) {
				continue
			}
			scope := uint8(0) // universe
			if netAddrs[a][0] == 0xfe && netAddrs[a][1]&0xc0 == 0x80 {
				scope = 253 // link
			}
			nlAddr(r, seq, &netAddrs[a], netPrefix[a], 2, scope, "eth0")
		}
	}
	nlDone(r, seq)
}

// nlAddr adds one RTM_NEWADDR (struct ifaddrmsg: family, prefix length,
// flags, scope u8, index u32).
func nlAddr(r *nlReply, seq uint32, ip *[16]byte, prefix uint8, index int32, scope uint8, label string) {
	f, v := uint8(afInet6), ip[:]
	if isMapped(ip) {
		f, v = afInet, ip[12:]
	}
	p := r.begin(rtmNewAddr, nlmFMulti, seq, nlHdr+8)
	p[0], p[1], p[2], p[3] = f, prefix, 0x80, scope // IFA_F_PERMANENT
	put32(p[4:], uint32(index))
	r.attr(ifaAddress, v)
	if f == afInet {
		r.attr(ifaLocal, v)
		r.attrName(ifaLabel, label)
	}
	r.end()
}

func nlDone(r *nlReply, seq uint32) {
	r.begin(nlmsgDone, nlmFMulti, seq, nlHdr+4)
	r.end()
}

// nlError answers the request whose header is h with an NLMSG_ERROR
// carrying -code and the header.
func nlError(r *nlReply, h []byte, seq uint32, code int) {
	p := r.begin(nlmsgError, 0, seq, nlHdr+4+nlHdr)
	put32(p[0:], uint32(-int32(code)))
	copy(p[4:], h)
	r.end()
}
