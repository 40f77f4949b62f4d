// Package fdnet is the network card of Gobi's sandbox: Ethernet frames on a
// host file descriptor, one frame per read(2) and write(2) — a tap device
// opened with IFF_TAP|IFF_NO_PI (Documentation/networking/tuntap.rst) or a
// SOCK_SEQPACKET socketpair to gobi's user-mode network. It implements
// netstack.NIC, so the stack and the pump above it are the VM's own.
//
// The descriptor is used with raw, blocking system calls on a goroutine of
// its own: the sandbox's filter lets read and write on it through to the
// host, while the runtime's poller (epoll) belongs to the Gobi kernel and
// knows nothing of host descriptors.
package fdnet

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"sync"
	"syscall"
)

// MTU is the largest IP packet the device carries: Ethernet's.
const MTU = 1500

// frameMax is the largest frame: the MTU plus the Ethernet header (no FCS).
const frameMax = MTU + 14

// queueMax bounds the frames received but not yet taken by the stack; a
// full queue drops, as a NIC's full ring does.
const queueMax = 512

// Device is a network card on a host descriptor.
type Device struct {
	fd    int
	mac   net.HardwareAddr
	ready chan struct{}

	mu      sync.Mutex
	queue   [][]byte
	free    [][]byte
	readErr error
}

// New starts receiving on fd. The card's address is random and locally
// administered (IEEE 802 §8.4: bit 1 of the first octet set, bit 0 clear).
func New(fd int) (*Device, error) {
	mac := make(net.HardwareAddr, 6)
	if _, err := rand.Read(mac); err != nil {
		return nil, fmt.Errorf("fdnet: choosing a MAC address: %w", err)
	}
	mac[0] = mac[0]&^1 | 2
	d := &Device{fd: fd, mac: mac, ready: make(chan struct{}, 1)}
	go d.receive()
	return d, nil
}

// MAC is the card's Ethernet address.
func (d *Device) MAC() net.HardwareAddr { return d.mac }

// MTU is the largest IP packet the card carries.
func (d *Device) MTU() int { return MTU }

// Ready is signalled when Receive may have frames.
func (d *Device) Ready() <-chan struct{} { return d.ready }

// receive reads frames until the descriptor fails.
func (d *Device) receive() {
	for {
		d.mu.Lock()
		var buf []byte
		if n := len(d.free); n > 0 {
			buf, d.free = d.free[n-1], d.free[:n-1]
		}
		d.mu.Unlock()
		if buf == nil {
			buf = make([]byte, frameMax)
		}
		n, err := syscall.Read(d.fd, buf[:frameMax])
		if err == syscall.EINTR || err == syscall.EAGAIN {
			continue
		}
		if err == nil && n == 0 {
			err = errors.New("the host closed the network descriptor")
		}
		d.mu.Lock()
		if err != nil {
			d.readErr = fmt.Errorf("fdnet: reading frames: %w", err)
			d.mu.Unlock()
			d.signal()
			return
		}
		if len(d.queue) < queueMax {
			d.queue = append(d.queue, buf[:n])
		} else {
			d.free = append(d.free, buf)
		}
		d.mu.Unlock()
		d.signal()
	}
}

func (d *Device) signal() {
	select {
	case d.ready <- struct{}{}:
	default:
	}
}

// Receive hands every queued frame to fn and returns how many.
func (d *Device) Receive(fn func(frame []byte)) (int, error) {
	d.mu.Lock()
	q := d.queue
	d.queue = nil
	err := d.readErr
	d.mu.Unlock()
	for _, f := range q {
		fn(f)
	}
	d.mu.Lock()
	for _, f := range q {
		d.free = append(d.free, f[:cap(f)])
	}
	d.mu.Unlock()
	if len(q) == 0 && err != nil {
		return 0, err
	}
	return len(q), nil
}

// Transmit writes frames, one write each, and returns how many it sent.
func (d *Device) Transmit(frames [][]byte) (int, error) {
	for i, f := range frames {
		for {
			_, err := syscall.Write(d.fd, f)
			if err == syscall.EINTR {
				continue
			}
			if err == syscall.ENOBUFS || err == syscall.EAGAIN {
				return i, nil // the host is full: the caller retries
			}
			if err != nil {
				return i, fmt.Errorf("fdnet: writing a frame: %w", err)
			}
			break
		}
	}
	return len(frames), nil
}
