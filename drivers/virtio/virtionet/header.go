package virtionet

import (
	"encoding/binary"
	"fmt"
)

// HeaderLen is the size of struct virtio_net_hdr when VIRTIO_F_VERSION_1 is
// negotiated: num_buffers is always present (§5.1.6).
const HeaderLen = 12

// struct virtio_net_hdr (§5.1.6): flags u8 @0, gso_type u8 @1, hdr_len u16
// @2, gso_size u16 @4, csum_start u16 @6, csum_offset u16 @8, num_buffers
// u16 @10. The driver writes it on transmit, the device on receive.
const (
	hdrFNeedsCsum = 1 // csum_start/csum_offset are meaningful
	gsoNone       = 0
)

// Header is a decoded virtio_net_hdr.
type Header struct {
	Flags      uint8
	GSOType    uint8
	HdrLen     uint16
	GSOSize    uint16
	CsumStart  uint16
	CsumOffset uint16
	NumBuffers uint16
}

// DecodeHeader parses the header at the start of a received buffer and checks
// it against what this driver negotiated: with no GUEST_CSUM, no GUEST_TSO and
// no MRG_RXBUF, a device must send no checksum request, no segmentation and
// exactly one buffer per frame (§5.1.6.4). Anything else is refused rather
// than handed to the stack as a frame it would misread.
func DecodeHeader(b []byte) (Header, error) {
	if len(b) < HeaderLen {
		return Header{}, fmt.Errorf("virtio-net header: %d bytes, want %d", len(b), HeaderLen)
	}
	le := binary.LittleEndian
	h := Header{
		Flags: b[0], GSOType: b[1],
		HdrLen: le.Uint16(b[2:]), GSOSize: le.Uint16(b[4:]),
		CsumStart: le.Uint16(b[6:]), CsumOffset: le.Uint16(b[8:]),
		NumBuffers: le.Uint16(b[10:]),
	}
	if h.Flags&hdrFNeedsCsum != 0 {
		return h, fmt.Errorf("virtio-net header asks for checksum completion, which was not negotiated (flags %#x)", h.Flags)
	}
	if h.GSOType != gsoNone {
		return h, fmt.Errorf("virtio-net header has gso_type %d, but no segmentation offload was negotiated", h.GSOType)
	}
	// §5.1.6.4: without MRG_RXBUF the device sets num_buffers to 1; 0 is
	// accepted too since some devices leave it clear.
	if h.NumBuffers > 1 {
		return h, fmt.Errorf("virtio-net header spans %d buffers, but mergeable buffers were not negotiated", h.NumBuffers)
	}
	return h, nil
}
