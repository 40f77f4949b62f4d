package pump

import (
	"context"
	"errors"
	"syscall"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/waiter"
)

// TCP endpoints are opened here rather than through gonet's ListenTCP and
// DialTCP so that the pump keeps each connection's gVisor endpoint next to
// the net.Conn gonet wraps it in: the work goroutine writes to the endpoint
// directly when that cannot block (Pump.transmitNow).

// listenBacklog is the gVisor listener's backlog, gonet's own.
const listenBacklog = 4096

// errListenerClosed ends an accept loop whose listener was closed.
var errListenerClosed = errors.New("listener closed")

// tcpListener is a listening gVisor endpoint.
type tcpListener struct {
	ep tcpip.Endpoint
	wq waiter.Queue
}

func listenTCP(s *stack.Stack, addr tcpip.FullAddress, proto tcpip.NetworkProtocolNumber) (*tcpListener, error) {
	l := &tcpListener{}
	ep, err := s.NewEndpoint(tcp.ProtocolNumber, proto, &l.wq)
	if err != nil {
		return nil, errors.New(err.String())
	}
	if err := ep.Bind(addr); err != nil {
		ep.Close()
		return nil, errors.New(err.String())
	}
	if err := ep.Listen(listenBacklog); err != nil {
		ep.Close()
		return nil, errors.New(err.String())
	}
	l.ep = ep
	return l, nil
}

// accept waits for the next connection; it fails once the listener is
// closed.
func (l *tcpListener) accept() (*gonet.TCPConn, tcpip.Endpoint, error) {
	entry, ready := waiter.NewChannelEntry(waiter.ReadableEvents | waiter.EventHUp | waiter.EventErr)
	l.wq.EventRegister(&entry)
	defer l.wq.EventUnregister(&entry)
	for {
		ep, wq, err := l.ep.Accept(nil)
		switch err.(type) {
		case nil:
			return gonet.NewTCPConn(wq, ep), ep, nil
		case *tcpip.ErrWouldBlock:
			<-ready
		default:
			return nil, nil, errListenerClosed
		}
	}
}

func (l *tcpListener) close() { l.ep.Close() }

// dialTCP connects from local (the zero address: any) to remote. Its error
// is the errno connect(2) reports.
func dialTCP(ctx context.Context, s *stack.Stack, local, remote tcpip.FullAddress, proto tcpip.NetworkProtocolNumber) (*gonet.TCPConn, tcpip.Endpoint, syscall.Errno) {
	var wq waiter.Queue
	ep, err := s.NewEndpoint(tcp.ProtocolNumber, proto, &wq)
	if err != nil {
		return nil, nil, syscall.ENOBUFS
	}
	entry, done := waiter.NewChannelEntry(waiter.WritableEvents)
	wq.EventRegister(&entry)
	defer wq.EventUnregister(&entry)
	if local != (tcpip.FullAddress{}) {
		if err := ep.Bind(local); err != nil {
			ep.Close()
			return nil, nil, syscall.EADDRINUSE
		}
	}
	err = ep.Connect(remote)
	if _, ok := err.(*tcpip.ErrConnectStarted); ok {
		select {
		case <-ctx.Done():
			ep.Close()
			return nil, nil, syscall.ETIMEDOUT
		case <-done:
		}
		err = ep.LastError()
	}
	if err != nil {
		ep.Close()
		return nil, nil, connectErrno(err)
	}
	return gonet.NewTCPConn(&wq, ep), ep, 0
}

// connectErrno maps a failed connection to what connect(2) reports.
func connectErrno(err tcpip.Error) syscall.Errno {
	switch err.(type) {
	case *tcpip.ErrTimeout:
		return syscall.ETIMEDOUT
	case *tcpip.ErrNetworkUnreachable, *tcpip.ErrNoNet:
		return syscall.ENETUNREACH
	case *tcpip.ErrHostUnreachable:
		return syscall.EHOSTUNREACH
	}
	return syscall.ECONNREFUSED
}
