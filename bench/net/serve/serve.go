// Package serve is what the networking benchmarks' servers answer: an
// ordinary net/http handler and a TCP sink for bulk throughput, over
// whatever listeners the caller made. bench/net/server runs it on the
// standard library's sockets (in every guest and as a host process);
// bench/sandbox/gvisortap runs it on gVisor's netstack directly.
//
// The sink reads one connection to its end, then writes the number of bytes
// it received in decimal and closes: the sender's clock stops when that
// count arrives, so every byte was delivered to the program, not merely
// queued.
package serve

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
)

// Serve announces both listeners on stdout (the benchmark waits for the
// line) and serves them until the HTTP listener fails.
func Serve(httpLn, sinkLn net.Listener) error {
	go serveSink(sinkLn)
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello from the benchmark server\n")
	})
	fmt.Printf("server: listening on %s (http) and %s (sink)\n", httpLn.Addr(), sinkLn.Addr())
	return http.Serve(httpLn, mux)
}

// serveSink accepts connections for the bulk-throughput test.
func serveSink(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			log.Printf("sink: %v", err)
			continue
		}
		go func() {
			defer c.Close()
			n, err := io.Copy(io.Discard, c)
			if err != nil {
				log.Printf("sink: %v after %d bytes", err, n)
				return
			}
			fmt.Fprintf(c, "%d\n", n)
		}()
	}
}
