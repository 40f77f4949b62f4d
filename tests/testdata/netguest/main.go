// Command netguest is the guest program of the networking end-to-end tests.
// Its first argument picks what it does; every mode uses only the standard
// library, as an ordinary program would.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: netguest serve|get URL|lookup NAME|udpecho ADDR|deadlines")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve()
	case "get":
		err = get(os.Args[2])
	case "lookup":
		err = lookup(os.Args[2])
	case "udpecho":
		err = udpEcho(os.Args[2])
	case "deadlines":
		err = deadlines()
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "netguest:", err)
		os.Exit(1)
	}
}

// serve answers HTTP on :8080; /stats reports goroutines and heap in use.
func serve() error {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from the guest: %s\n", r.URL.Path)
	})
	http.HandleFunc("/stats", func(w http.ResponseWriter, r *http.Request) {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		json.NewEncoder(w).Encode(map[string]uint64{"goroutines": uint64(runtime.NumGoroutine()), "heap": ms.HeapInuse})
	})
	// /upload answers the body's length and SHA-256; with ?slow=1 it
	// reads 4 KiB at a time with a pause between, so the socket's receive
	// buffer fills and every read must let more in.
	http.HandleFunc("/upload", func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		var n int64
		var err error
		if r.URL.Query().Get("slow") == "1" {
			buf := make([]byte, 4<<10)
			for err == nil {
				var m int
				m, err = r.Body.Read(buf)
				h.Write(buf[:m])
				n += int64(m)
				time.Sleep(time.Millisecond)
			}
			if err == io.EOF {
				err = nil
			}
		} else {
			n, err = io.Copy(h, r.Body)
		}
		fmt.Fprintf(w, "%d %x %v\n", n, h.Sum(nil), err)
	})
	return http.ListenAndServe(":8080", nil)
}

// get fetches url and prints the status and body.
func get(url string) error {
	c := &http.Client{Timeout: 60 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	fmt.Printf("%s %s", resp.Status, body)
	return err
}

func lookup(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupHost(ctx, name)
	if err != nil {
		return err
	}
	fmt.Println("addrs", addrs)
	return nil
}

// udpEcho sends a datagram to addr and prints the reply.
func udpEcho(addr string) error {
	c, err := net.Dial("udp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	buf := make([]byte, 1500)
	for try := 0; try < 20; try++ { // UDP: the first may be lost while ARP resolves
		c.Write([]byte("ping from the guest"))
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, err := c.Read(buf)
		if err == nil {
			fmt.Printf("echo %q\n", buf[:n])
			return nil
		}
	}
	return fmt.Errorf("no echo from %s", addr)
}

// deadlines checks that a read deadline fires on time and that closing a
// listener unblocks Accept.
func deadlines() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return err
	}
	defer c.Close()
	start := time.Now()
	c.SetReadDeadline(start.Add(300 * time.Millisecond))
	_, err = c.Read(make([]byte, 1))
	took := time.Since(start)
	ne, ok := err.(net.Error)
	if !ok || !ne.Timeout() {
		return fmt.Errorf("read with a deadline returned %v, want a timeout", err)
	}
	fmt.Printf("read deadline after %d ms\n", took.Milliseconds())
	done := make(chan error, 1)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				done <- err
				return
			}
			c.Close()
		}
	}()
	time.Sleep(100 * time.Millisecond)
	ln.Close()
	select {
	case err := <-done:
		fmt.Printf("accept after close: %v\n", err)
	case <-time.After(5 * time.Second):
		return fmt.Errorf("Accept still blocked 5 s after Close")
	}
	return nil
}
