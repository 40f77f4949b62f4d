package kernel

import (
	"unsafe"

	"github.com/gobi-os/gobi/kernel/memfs"
)

// AF_UNIX sockets (unix(7)): stream and datagram sockets named by a path in
// the file system or by an abstract name (a leading NUL byte). A bound path
// is a file in memfs, so it shows up, collides with existing files
// (EADDRINUSE) and is removed with unlink, as on Linux; the file is a regular
// one rather than a socket node. Connected streams share the loopback
// machinery: a send writes into the peer's receive ring.

const unixPathMax = 108

// unixName is a sun_path: a pathname, or an abstract name starting with 0.
type unixName struct {
	b [unixPathMax]byte
	n uint8 // 0: unnamed
}

func (u *unixName) equal(v *unixName) bool {
	return u.n != 0 && u.n == v.n && u.b == v.b
}

// readUnixAddr parses a struct sockaddr_un of n bytes.
func readUnixAddr(addr, n uint64) (unixName, uint64) {
	var u unixName
	if n < 2 || n > 2+unixPathMax || !userOK(uintptr(addr), uintptr(n), false) {
		return u, errno(eINVAL)
	}
	b := bytesAt(uintptr(addr), int(n))
	if get16(b) != afUnix {
		return u, errno(eINVAL)
	}
	p := b[2:]
	if len(p) > 0 && p[0] != 0 { // a pathname ends at its NUL
		for k := 0; k < len(p) && p[k] != 0; k++ {
			u.n++
		}
	} else {
		u.n = uint8(len(p))
	}
	copy(u.b[:], p[:u.n])
	return u, 0
}

// writeUnixAddr stores u as a struct sockaddr_un; the length is Linux's:
// the family, the name and, for a pathname, its NUL.
func writeUnixAddr(u *unixName, addr, lenp uint64) uint64 {
	var tmp [2 + unixPathMax + 1]byte
	put16(tmp[0:], afUnix)
	copy(tmp[2:], u.b[:u.n])
	size := 2 + int(u.n)
	if u.isPath() {
		size++ // the pathname's NUL
	}
	return putSockaddr(tmp[:size], addr, lenp)
}

// isPath reports whether u names a file (not abstract, not unnamed).
func (u *unixName) isPath() bool { return u.n > 0 && u.b[0] != 0 }

func (u *unixName) path() string {
	return unsafe.String(&u.b[0], int(u.n))
}

// unixFind returns the socket of type typ bound to u (listening, for streams).
func unixFind(u *unixName, typ uint16) int {
	for j := range sockets {
		o := &sockets[j]
		if o.family == afUnix && o.typ == typ && o.state != ssFree && o.uname.equal(u) && (typ == sockDgram || o.state == ssListening) {
			return j
		}
	}
	return -1
}

func unixBind(k int, addr, n uint64) uint64 {
	s := &sockets[k]
	if s.bound {
		return errno(eINVAL)
	}
	u, r := readUnixAddr(addr, n)
	if r != 0 {
		return r
	}
	if u.n == 0 {
		unixAutobind(k)
		return 0
	}
	if u.isPath() {
		f, er := memfs.Open(cwd, u.path(), memfs.O_CREAT|memfs.O_EXCL|memfs.O_WRONLY, uint32(0o777&^umask))
		if er == memfs.EEXIST {
			return errno(eADDRINUSE)
		}
		if er != 0 {
			return errno(int(er))
		}
		memfs.Close(f)
	} else {
		for j := range sockets {
			if sockets[j].family == afUnix && sockets[j].uname.equal(&u) {
				return errno(eADDRINUSE)
			}
		}
	}
	s.uname = u
	s.bound = true
	return 0
}

var unixAutoname uint32

// unixAutobind gives s an abstract name of five hex digits, as Linux does.
func unixAutobind(k int) {
	s := &sockets[k]
	for {
		unixAutoname = (unixAutoname + 1) & 0xfffff
		var u unixName
		u.n = uint8(1 + putHex(u.b[1:], uint64(unixAutoname), 5))
		taken := false
		for j := range sockets {
			if sockets[j].family == afUnix && sockets[j].uname.equal(&u) {
				taken = true
			}
		}
		if !taken {
			s.uname = u
			s.bound = true
			return
		}
	}
}

func unixConnect(k int, addr, n uint64) uint64 {
	s := &sockets[k]
	u, r := readUnixAddr(addr, n)
	if r != 0 {
		return r
	}
	if u.n == 0 {
		return errno(eINVAL)
	}
	if s.typ == sockDgram { // the peer must exist; datagrams then go to it
		if unixFind(&u, sockDgram) < 0 {
			return unixMissing(&u)
		}
		s.rname = u
		s.state = ssConnected
		return 0
	}
	switch s.state {
	case ssConnected:
		return errno(eISCONN)
	case ssListening:
		return errno(eINVAL)
	}
	l := unixFind(&u, s.typ)
	if l < 0 {
		return unixMissing(&u)
	}
	ls := &sockets[l]
	if ls.qn >= int(ls.backlog) {
		return errno(eAGAIN)
	}
	srv := connectPeer(k, l)
	if srv < 0 {
		return errno(eNFILE)
	}
	sockets[srv].uname, sockets[srv].rname = ls.uname, s.uname
	s.rname = ls.uname
	return 0
}

// unixMissing is the error for a name no socket serves: ENOENT when the
// path does not exist, ECONNREFUSED when nothing listens there.
func unixMissing(u *unixName) uint64 {
	if u.isPath() {
		var st memfs.Stat
		if er := memfs.StatAt(cwd, u.path(), &st, 0); er != 0 {
			return errno(int(er))
		}
	}
	return errno(eCONNREFUSED)
}

// Unix datagrams carry their sender in the record header as its socket
// slot and that slot's generation, so a sender that has since closed reads
// as unnamed rather than as whoever took the slot.
func unixDgramSend(k int, b []byte, addr, addrlen uint64) uint64 {
	if len(b) > ringSize-dgramHdr {
		return errno(eMSGSIZE)
	}
	j, r := unixDgramPeer(k, addr, addrlen)
	if r != 0 {
		return r
	}
	s := &sockets[k]
	o := &sockets[j]
	if ringSize-o.rx.n < dgramHdr+len(b) {
		return errno(eAGAIN) // the receiver is full (unix datagrams are never dropped)
	}
	var h [dgramHdr]byte
	put16(h[0:], uint16(len(b)))
	put32(h[4:], uint32(k))
	put32(h[8:], s.gen)
	o.rx.write(h[:])
	o.rx.write(b)
	objectChanged(fdSocket, int32(j))
	return uint64(len(b))
}

// unixDgramPeer finds the socket a datagram from k goes to: the one at
// addr, or k's connected peer (the other of a socket pair, or the name k
// connected to).
func unixDgramPeer(k int, addr, addrlen uint64) (int, uint64) {
	s := &sockets[k]
	dst := s.rname
	switch {
	case addr != 0:
		u, r := readUnixAddr(addr, addrlen)
		if r != 0 {
			return -1, r
		}
		dst = u
	case s.state != ssConnected:
		return -1, errno(eDESTADDRREQ)
	case s.peer >= 0: // one of a socket pair
		return int(s.peer), 0
	case s.peerGone: // the other of the pair was closed
		return -1, errno(eCONNREFUSED)
	}
	j := unixFind(&dst, sockDgram)
	if j < 0 {
		return -1, unixMissing(&dst)
	}
	return j, 0
}

// writeUnixSender names a datagram's sender from its record header.
func writeUnixSender(h []byte, addr, lenp uint64) uint64 {
	k, gen := int(get32(h[0:])), get32(h[4:])
	if k < 0 || k >= maxSockets || sockets[k].gen != gen || sockets[k].family != afUnix || sockets[k].uname.n == 0 {
		// An unnamed sender: Linux returns no address at all (unix(7)).
		if addr != 0 && userOK(uintptr(lenp), 4, true) {
			*ptr[uint32](uintptr(lenp)) = 0
		}
		return 0
	}
	return writeUnixAddr(&sockets[k].uname, addr, lenp)
}

// A SOCK_SEQPACKET stream keeps each send whole: it goes into the peer's
// ring as one record, [len u32] + the bytes, or not at all.
const seqHdr = 4

func seqpacketSend(k, p int, b []byte, nonblock bool, nr uint64) uint64 {
	if len(b) > ringSize-seqHdr {
		return errno(eMSGSIZE)
	}
	r := &sockets[p].rx
	if ringSize-r.n < seqHdr+len(b) {
		if nonblock {
			return errno(eAGAIN)
		}
		return blockRetry(fdSocket, int32(k), nr)
	}
	var h [seqHdr]byte
	put32(h[:], uint32(len(b)))
	r.write(h[:])
	r.write(b)
	objectChanged(fdSocket, int32(p))
	return uint64(len(b))
}

// seqpacketRecv takes one record; what does not fit in b is discarded
// (MSG_TRUNC reports the record's length instead).
func seqpacketRecv(k int, b []byte, flags uint64) uint64 {
	s := &sockets[k]
	var h [seqHdr]byte
	s.rx.read(h[:], 0, true)
	size := int(get32(h[:]))
	n := s.rx.read(b[:min(size, len(b))], seqHdr, true)
	if flags&msgPeek == 0 {
		s.rx.drop(seqHdr + size)
		if s.peer >= 0 {
			objectChanged(fdSocket, s.peer)
		}
	}
	if flags&msgTrunc != 0 {
		return uint64(size)
	}
	return uint64(n)
}
