// Command server is the program that the networking benchmark runs in each
// guest, unchanged: an ordinary net/http server and a TCP sink for bulk
// throughput (package serve) on the standard library's sockets, as a user's
// program would have them.
package main

import (
	"flag"
	"log"
	"net"

	"github.com/gobi-os/gobi/bench/net/serve"
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
	ln, err := net.Listen("tcp", *httpAddr)
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(serve.Serve(ln, sink))
}
