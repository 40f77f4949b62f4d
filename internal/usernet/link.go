package usernet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/link/channel"
	"gvisor.dev/gvisor/pkg/tcpip/link/ethernet"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// MTU is the largest IP packet the link carries in one frame.
const MTU = 1500

const (
	// maxFrame is the largest frame on the link: MTU plus the Ethernet
	// header (no FCS). The guest writes the frames, so larger ones are
	// dropped rather than trusted.
	maxFrame = MTU + header.EthernetMinimumSize
	// outQueueLen is how many frames gVisor may queue for the write pump
	// while the guest is not reading; beyond it gVisor drops them and TCP
	// recovers.
	outQueueLen = 1024
)

// link moves frames between a SOCK_SEQPACKET socket and gVisor: a channel
// endpoint wrapped in gVisor's Ethernet endpoint, and two pump goroutines.
type link struct {
	conn   *net.UnixConn
	ch     *channel.Endpoint
	ep     stack.LinkEndpoint // ch wrapped in gVisor's Ethernet endpoint
	accept func(frame []byte) bool
	logf   func(format string, args ...any)
	cancel context.CancelFunc
	done   sync.WaitGroup
}

// linkConn turns f, which must be a SOCK_SEQPACKET socket, into a connection
// and closes f.
func linkConn(f *os.File) (*net.UnixConn, error) {
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("usernet: link %s: %w", f.Name(), err)
	}
	var soType int
	cerr := rc.Control(func(fd uintptr) {
		soType, err = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TYPE)
	})
	if cerr != nil || err != nil || soType != unix.SOCK_SEQPACKET {
		return nil, fmt.Errorf("usernet: link %s is not a SOCK_SEQPACKET socket: pass one end of socketpair(AF_UNIX, SOCK_SEQPACKET, 0)", f.Name())
	}
	c, err := net.FileConn(f) // a duplicate of f's descriptor
	if err != nil {
		return nil, fmt.Errorf("usernet: link %s: %w", f.Name(), err)
	}
	uc, ok := c.(*net.UnixConn)
	if !ok {
		c.Close()
		return nil, fmt.Errorf("usernet: link %s is a %T, not an AF_UNIX socket: pass one end of socketpair(AF_UNIX, SOCK_SEQPACKET, 0)", f.Name(), c)
	}
	return uc, nil
}

// newLink returns a link over conn with the given MAC address. accept, if
// not nil, filters the frames the guest sends before gVisor sees them.
func newLink(conn *net.UnixConn, mac tcpip.LinkAddress, accept func([]byte) bool, logf func(string, ...any)) *link {
	ch := channel.New(outQueueLen, MTU, mac)
	return &link{conn: conn, ch: ch, ep: ethernet.New(ch), accept: accept, logf: logf}
}

// start runs the pumps; the link's endpoint must be attached to a NIC.
func (l *link) start() {
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	l.done.Add(2)
	go l.readPump()
	go l.writePump(ctx)
}

// stop ends the pumps, cancelling the write pump's wait for a frame and
// closing the socket under a blocked read or write, and waits for them.
func (l *link) stop() error {
	if l.cancel != nil {
		l.cancel()
	}
	err := l.conn.Close()
	l.done.Wait()
	l.ch.Close()
	return err
}

// readPump delivers each message from the guest, one frame, to gVisor.
func (l *link) readPump() {
	defer l.done.Done()
	buf := make([]byte, maxFrame+1) // a longer message reads as maxFrame+1 bytes
	for {
		n, err := l.conn.Read(buf)
		if err != nil {
			l.report("reading the guest's frames", err)
			return
		}
		frame := buf[:n]
		if n < header.EthernetMinimumSize || n > maxFrame || (l.accept != nil && !l.accept(frame)) {
			continue
		}
		pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{
			Payload: buffer.MakeWithData(frame), // copies: buf is reused
		})
		// The Ethernet endpoint reads the protocol from the frame.
		l.ch.InjectInbound(0, pkt)
		pkt.DecRef()
	}
}

// writePump sends each frame gVisor queues as one message. The write blocks
// while the guest's receive queue is full, which holds gVisor's frames in
// the channel instead of dropping them (see the package comment).
func (l *link) writePump(ctx context.Context) {
	defer l.done.Done()
	buf := make([]byte, maxFrame)
	for {
		pkt := l.ch.ReadContext(ctx)
		if pkt == nil {
			return // stopped
		}
		n := 0
		for _, v := range pkt.AsSlices() {
			n += copy(buf[n:], v)
		}
		pkt.DecRef()
		if _, err := l.conn.Write(buf[:n]); err != nil {
			l.report("writing frames to the guest", err)
			return
		}
	}
}

// report logs a pump's error unless it only means that the link was closed
// by stop or that the guest has gone away.
func (l *link) report(what string, err error) {
	if errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) {
		return
	}
	l.logf("usernet: %s: %v", what, err)
}
