package netstack

import (
	"encoding/binary"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

// tcpInFrame is a TCP segment located in an Ethernet frame: what the link
// reads of it without handing it to gVisor.
type tcpInFrame struct {
	ipHdr    []byte // IPv4 header (with options), or the IPv6 fixed header
	src, dst []byte // IP addresses, 4 or 16 bytes
	l4       []byte // TCP header and payload, as long as IP says
}

// findTCP locates the TCP segment in an Ethernet frame carrying IPv4 (not a
// fragment) or IPv6 without extension headers. ok is false for anything
// else and for malformed lengths; flags are not looked at.
func findTCP(frame []byte) (t tcpInFrame, ok bool) {
	if len(frame) < header.EthernetMinimumSize {
		return t, false
	}
	ip := frame[header.EthernetMinimumSize:]
	switch binary.BigEndian.Uint16(frame[12:14]) {
	case 0x0800: // IPv4 (RFC 791 §3.1)
		if len(ip) < 20 || ip[0]>>4 != 4 || ip[9] != 6 {
			return t, false
		}
		ihl := int(ip[0]&0x0f) * 4
		total := int(binary.BigEndian.Uint16(ip[2:4]))
		if ihl < 20 || total < ihl || total > len(ip) || binary.BigEndian.Uint16(ip[6:8])&0x3fff != 0 {
			return t, false // malformed or a fragment
		}
		t = tcpInFrame{ipHdr: ip[:ihl], src: ip[12:16], dst: ip[16:20], l4: ip[ihl:total]}
	case 0x86dd: // IPv6 (RFC 8200 §3)
		if len(ip) < 40 || ip[0]>>4 != 6 || ip[6] != 6 {
			return t, false
		}
		plen := int(binary.BigEndian.Uint16(ip[4:6]))
		if 40+plen > len(ip) {
			return t, false
		}
		t = tcpInFrame{ipHdr: ip[:40], src: ip[8:24], dst: ip[24:40], l4: ip[40 : 40+plen]}
	default:
		return t, false
	}
	if len(t.l4) < 20 {
		return t, false
	}
	if off := int(t.l4[12]>>4) * 4; off < 20 || off > len(t.l4) {
		return t, false
	}
	return t, true
}

// checksumsValid reports whether a TCP segment's checksum (RFC 9293 §3.1,
// over the pseudo-header of RFC 791 or RFC 8200 §8.1) and, for IPv4, the
// header checksum (RFC 791 §3.1) are right.
func (t tcpInFrame) checksumsValid() bool {
	if len(t.src) == 4 && checksum.Checksum(t.ipHdr, 0) != 0xffff {
		return false
	}
	sum := header.PseudoHeaderChecksum(header.TCPProtocolNumber,
		tcpip.AddrFromSlice(t.src), tcpip.AddrFromSlice(t.dst), uint16(len(t.l4)))
	return checksum.Checksum(t.l4, sum) == 0xffff
}
