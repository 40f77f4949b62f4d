package main

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"strings"
)

// stub is a client of QEMU's gdbstub: GDB's remote serial protocol
// (GDB manual, "Remote Protocol"), in its acknowledged mode, over TCP.
type stub struct {
	c net.Conn
	r *bufio.Reader
}

func dial(addr string) (*stub, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("gdbstub at %s: %w (start the guest with gobi run -gdb PORT)", addr, err)
	}
	return &stub{c: c, r: bufio.NewReader(c)}, nil
}

// send writes packet $p#checksum and waits for the stub's '+'.
func (s *stub) send(p string) error {
	var sum byte
	for i := 0; i < len(p); i++ {
		sum += p[i]
	}
	if _, err := fmt.Fprintf(s.c, "$%s#%02x", p, sum); err != nil {
		return err
	}
	for {
		b, err := s.r.ReadByte()
		if err != nil {
			return err
		}
		switch b {
		case '+':
			return nil
		case '-':
			return fmt.Errorf("gdbstub refused packet %q", p)
		}
	}
}

// recv reads one packet, acknowledges it and returns its payload.
func (s *stub) recv() (string, error) {
	if _, err := s.r.ReadString('$'); err != nil {
		return "", err
	}
	body, err := s.r.ReadString('#')
	if err != nil {
		return "", err
	}
	var sum [2]byte
	if _, err := io.ReadFull(s.r, sum[:]); err != nil {
		return "", err
	}
	if _, err := s.c.Write([]byte{'+'}); err != nil {
		return "", err
	}
	return strings.TrimSuffix(body, "#"), nil
}

// cont resumes the guest ("c"; the stub answers only when it stops).
func (s *stub) cont() error { return s.send("c") }

// stop interrupts the running guest (a bare 0x03) and waits for the stop
// reply.
func (s *stub) stop() error {
	if _, err := s.c.Write([]byte{0x03}); err != nil {
		return err
	}
	_, err := s.recv()
	return err
}

// regs returns rip and rbp: the "g" reply lists x86-64's rax, rbx, rcx,
// rdx, rsi, rdi, rbp, rsp, r8-r15, rip as little-endian hex (GDB's
// i386:x86-64 register layout).
func (s *stub) regs() (rip, rbp uint64, err error) {
	if err := s.send("g"); err != nil {
		return 0, 0, err
	}
	r, err := s.recv()
	if err != nil {
		return 0, 0, err
	}
	b, err := hex.DecodeString(r)
	if err != nil || len(b) < 17*8 {
		return 0, 0, fmt.Errorf("gdbstub: register reply %.40q...: not x86-64's", r)
	}
	return binary.LittleEndian.Uint64(b[16*8:]), binary.LittleEndian.Uint64(b[6*8:]), nil
}

// frame reads the two words a frame pointer points at: the caller's frame
// pointer and the return address (Go's amd64 frame layout). ok is false
// when the memory cannot be read.
func (s *stub) frame(fp uint64) (next, ret uint64, ok bool, err error) {
	if err := s.send(fmt.Sprintf("m%x,10", fp)); err != nil {
		return 0, 0, false, err
	}
	r, err := s.recv()
	if err != nil {
		return 0, 0, false, err
	}
	b, herr := hex.DecodeString(r)
	if herr != nil || len(b) != 16 {
		return 0, 0, false, nil // an error reply such as E14
	}
	return binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:]), true, nil
}

// maxDepth bounds a stack walk.
const maxDepth = 64

// sample stops the guest, walks its frame-pointer chain from the stopped
// instruction and resumes it. The chain ends at a zero or non-increasing
// frame pointer: a trap frame (the kernel's stack does not link to the
// interrupted program's) or a goroutine's first frame.
func (s *stub) sample() ([]uint64, error) {
	if err := s.stop(); err != nil {
		return nil, err
	}
	rip, fp, err := s.regs()
	if err != nil {
		return nil, err
	}
	pcs := []uint64{rip}
	for len(pcs) < maxDepth && fp != 0 {
		next, ret, ok, err := s.frame(fp)
		if err != nil {
			return nil, err
		}
		if !ok || ret == 0 {
			break
		}
		pcs = append(pcs, ret)
		if next <= fp {
			break
		}
		fp = next
	}
	return pcs, s.cont()
}
