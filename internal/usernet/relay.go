package usernet

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// udpIdle is how long a UDP flow or forward session lives without a
	// datagram either way. RFC 4787 REQ-5: a NAT's UDP mapping must not
	// expire in less than two minutes.
	udpIdle = 2 * time.Minute
	// maxDatagram is the largest UDP payload: an IPv4 datagram's 65,535
	// bytes less the headers always fits.
	maxDatagram = 65535
)

// halfCloser is a stream connection whose sending direction can be closed
// alone, TCP's half-close (RFC 9293 section 3.6): *net.TCPConn and gVisor's
// gonet.TCPConn.
type halfCloser interface {
	net.Conn
	CloseWrite() error
}

// relayTCP copies a to b and b to a until both directions have ended. The
// end of one direction's stream is passed on as a half-close; an error in
// either direction, or the end of ctx, resets both connections.
func relayTCP(ctx context.Context, a, b halfCloser) {
	var once sync.Once
	abort := func() { once.Do(func() { reset(a); reset(b) }) }
	stop := context.AfterFunc(ctx, abort)
	defer stop()
	var wg sync.WaitGroup
	wg.Go(func() { pipe(b, a, abort) })
	pipe(a, b, abort)
	wg.Wait()
	a.Close()
	b.Close()
}

// pipe copies src to dst and then half-closes dst, or aborts on an error.
func pipe(dst, src halfCloser, abort func()) {
	if _, err := io.Copy(dst, src); err != nil {
		abort()
		return
	}
	if err := dst.CloseWrite(); err != nil {
		abort()
	}
}

// reset closes c so that its peer sees a reset rather than an orderly end,
// where c can tell the difference (a host TCP connection).
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0) // close sends RST (RFC 9293 section 3.10.4, ABORT)
	}
	c.Close()
}

// relayUDP copies datagrams between a and b, both connected, one write per
// read, until neither has carried one for idle, either fails, or ctx ends.
func relayUDP(ctx context.Context, a, b net.Conn, idle time.Duration) {
	var last atomic.Int64
	touch(&last)
	closeBoth := func() { a.Close(); b.Close() }
	stop := context.AfterFunc(ctx, closeBoth)
	defer stop()
	var wg sync.WaitGroup
	wg.Go(func() { copyDatagrams(b, a, idle, &last); closeBoth() })
	copyDatagrams(a, b, idle, &last)
	closeBoth()
	wg.Wait()
}

func copyDatagrams(dst, src net.Conn, idle time.Duration, last *atomic.Int64) {
	buf := make([]byte, maxDatagram)
	for {
		n, err := readActive(src, buf, idle, last)
		if err != nil {
			return
		}
		touch(last)
		dst.Write(buf[:n]) // a datagram lost here is UDP's to lose
	}
}

// readActive reads a datagram from c, waiting while the flow whose last
// datagram passed at last (either way) is active: it fails once nothing has
// passed for idle.
func readActive(c net.Conn, buf []byte, idle time.Duration, last *atomic.Int64) (int, error) {
	for {
		c.SetReadDeadline(time.Unix(0, last.Load()).Add(idle))
		n, err := c.Read(buf)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() && time.Since(time.Unix(0, last.Load())) < idle {
			continue // the other direction carried a datagram meanwhile
		}
		return n, err
	}
}

// touch records that a datagram has just passed.
func touch(last *atomic.Int64) { last.Store(time.Now().UnixNano()) }
