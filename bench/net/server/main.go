// Command server is the program that the networking benchmark runs in each
// guest, unchanged: an ordinary net/http server and a TCP sink for bulk
// throughput. It uses only the standard library, as a user's program would.
//
// The sink reads one connection to its end, then writes the number of bytes
// it received in decimal and closes: the sender's clock stops when that
// count arrives, so every byte was delivered to the program, not merely
// queued.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
)

func main() {
	httpAddr := flag.String("http", ":8080", "address of the HTTP server")
	sinkAddr := flag.String("sink", ":9000", "address of the TCP sink")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("server: ")

	sink, err := net.Listen("tcp", *sinkAddr)
	if err != nil {
		log.Fatal(err)
	}
	go serveSink(sink)

	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello from the benchmark server\n")
	})
	ln, err := net.Listen("tcp", *httpAddr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("server: listening on %s (http) and %s (sink)\n", ln.Addr(), sink.Addr())
	log.Fatal(http.Serve(ln, nil))
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
