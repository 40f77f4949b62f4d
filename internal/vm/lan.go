package vm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
)

// A LAN joins the unikernels started with -net lan:NAME on this host into
// one private Ethernet, without root. Each guest's QEMU connects its network
// card to a unix socket (a "stream" netdev: every frame is a 4-byte
// big-endian length and the frame); the first gobi to start for a LAN name
// listens there and relays every frame to all other members, as a hub does.
// The LAN lives as long as that first gobi.

// maxFrame caps a frame length a member claims (an Ethernet frame with a
// VLAN tag is 1522 bytes; QEMU sends no more than 65535).
const maxFrame = 65535

// LANSocket is where the hub of LAN name listens.
func LANSocket(name string) string {
	dir := os.Getenv("XDG_RUNTIME_DIR")
	if dir == "" {
		dir = os.TempDir()
	}
	return filepath.Join(dir, fmt.Sprintf("gobi-lan-%d-%s.sock", os.Getuid(), name))
}

// JoinLAN makes sure the hub for name runs: if no one serves the socket,
// this process becomes the hub. The returned function stops a hub this
// process started (a no-op otherwise).
func JoinLAN(name string) (socket string, stop func(), err error) {
	socket = LANSocket(name)
	if c, err := net.Dial("unix", socket); err == nil {
		c.Close()
		return socket, func() {}, nil
	}
	os.Remove(socket) // a stale socket from a hub that died
	ln, err := net.Listen("unix", socket)
	if err != nil {
		return "", nil, fmt.Errorf("starting the hub of lan:%s at %s: %w", name, socket, err)
	}
	h := &hub{members: map[net.Conn]bool{}}
	go h.serve(ln)
	return socket, func() { ln.Close(); h.closeAll() }, nil
}

type hub struct {
	mu      sync.Mutex
	members map[net.Conn]bool
}

func (h *hub) serve(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		h.mu.Lock()
		h.members[c] = true
		h.mu.Unlock()
		go h.relay(c)
	}
}

// relay forwards every frame from c to every other member.
func (h *hub) relay(c net.Conn) {
	defer func() {
		h.mu.Lock()
		delete(h.members, c)
		h.mu.Unlock()
		c.Close()
	}()
	buf := make([]byte, 4+maxFrame)
	for {
		if _, err := io.ReadFull(c, buf[:4]); err != nil {
			return
		}
		n := binary.BigEndian.Uint32(buf[:4])
		if n > maxFrame {
			return // not a QEMU stream peer: drop it
		}
		if _, err := io.ReadFull(c, buf[4:4+n]); err != nil {
			return
		}
		h.mu.Lock()
		for m := range h.members {
			if m != c {
				if _, err := m.Write(buf[:4+n]); err != nil && !errors.Is(err, net.ErrClosed) {
					m.Close()
				}
			}
		}
		h.mu.Unlock()
	}
}

func (h *hub) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for m := range h.members {
		m.Close()
	}
}
