package netstack

import (
	"context"
	"net"
	"testing"

	"golang.org/x/net/nettest"
)

// TestConnConformance runs golang.org/x/net/nettest's net.Conn checks
// (deadlines, concurrent use, close semantics, data integrity) over TCP
// between two stacks.
func TestConnConformance(t *testing.T) {
	a, b, _ := stackPair(t, true)
	ln, err := b.Listen("tcp", ":5000")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	nettest.TestConn(t, func() (c1, c2 net.Conn, stop func(), err error) {
		accepted := make(chan net.Conn, 1)
		go func() {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}()
		c1, err = a.Dial(context.Background(), "tcp", "10.0.2.2:5000")
		if err != nil {
			return nil, nil, nil, err
		}
		c2 = <-accepted
		return c1, c2, func() { c1.Close(); c2.Close() }, nil
	})
}
