package main

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// fakeStub serves the part of GDB's remote protocol guestprof uses, for a
// guest stopped at rip with frame pointer rbp and memory mem (address ->
// 8-byte word).
func fakeStub(t *testing.T, rip, rbp uint64, mem map[uint64]uint64) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		reply := func(p string) {
			var sum byte
			for i := 0; i < len(p); i++ {
				sum += p[i]
			}
			fmt.Fprintf(c, "$%s#%02x", p, sum)
			r.ReadByte() // the client's '+'
		}
		for {
			b, err := r.ReadByte()
			if err != nil {
				return
			}
			switch b {
			case 0x03:
				reply("T05thread:01;")
				continue
			case '$':
			default:
				continue
			}
			body, _ := r.ReadString('#')
			r.ReadByte()
			r.ReadByte()
			c.Write([]byte{'+'})
			body = strings.TrimSuffix(body, "#")
			switch {
			case body == "c":
				// running: no reply until stopped
			case body == "g":
				regs := make([]byte, 24*8)
				binary.LittleEndian.PutUint64(regs[6*8:], rbp)
				binary.LittleEndian.PutUint64(regs[16*8:], rip)
				reply(hex.EncodeToString(regs))
			case body[0] == 'm':
				a, _ := strconv.ParseUint(strings.Split(body[1:], ",")[0], 16, 64)
				lo, ok1 := mem[a]
				hi, ok2 := mem[a+8]
				if !ok1 || !ok2 {
					reply("E14")
					continue
				}
				var w [16]byte
				binary.LittleEndian.PutUint64(w[:], lo)
				binary.LittleEndian.PutUint64(w[8:], hi)
				reply(hex.EncodeToString(w[:]))
			default:
				reply("")
			}
		}
	}()
	return ln.Addr().String()
}

func TestSampleWalksFramePointers(t *testing.T) {
	// Two frames, then a frame pointer that does not grow: the walk stops.
	mem := map[uint64]uint64{
		0x2000: 0x2100, 0x2008: 0x1111,
		0x2100: 0x2000, 0x2108: 0x2222,
	}
	s, err := dial(fakeStub(t, 0x1000, 0x2000, mem))
	if err != nil {
		t.Fatal(err)
	}
	defer s.c.Close()
	if err := s.cont(); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		pcs, err := s.sample()
		if err != nil {
			t.Fatal(err)
		}
		if want := []uint64{0x1000, 0x1111, 0x2222}; !reflect.DeepEqual(pcs, want) {
			t.Fatalf("sample = %x, want %x", pcs, want)
		}
	}
}

func TestSampleStopsAtUnreadableMemory(t *testing.T) {
	s, err := dial(fakeStub(t, 0x1000, 0x9000, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer s.c.Close()
	s.cont()
	pcs, err := s.sample()
	if err != nil || !reflect.DeepEqual(pcs, []uint64{0x1000}) {
		t.Fatalf("sample = %x, %v; want just the stopped pc", pcs, err)
	}
}

func TestProfileCountsFlatAndCumulative(t *testing.T) {
	names := map[uint64]string{0x10: "a", 0x20: "b", 0x30: "c"}
	name := func(pc uint64) string { return names[pc&^0xf] }
	stacks := [][]uint64{
		{0x10, 0x21, 0x31}, // a <- b <- c
		{0x20, 0x21, 0x31}, // b <- b <- c: b counted once
		{0x30},             // c
		{0x10, 0x11},       // a <- a
	}
	flat, cum := profile(stacks, name)
	if want := map[string]int{"a": 2, "b": 1, "c": 1}; !reflect.DeepEqual(flat, want) {
		t.Errorf("flat = %v, want %v", flat, want)
	}
	if want := map[string]int{"a": 2, "b": 2, "c": 3}; !reflect.DeepEqual(cum, want) {
		t.Errorf("cumulative = %v, want %v", cum, want)
	}
}

// TestSymbols names a function of this test binary from its own line table.
func TestSymbols(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	syms, err := openSymbols(exe)
	if err != nil {
		t.Fatal(err)
	}
	pc := reflect.ValueOf(profile).Pointer()
	want := runtime.FuncForPC(pc).Name()
	if got := syms.funcName(uint64(pc) + 1); got != want {
		t.Errorf("funcName(profile+1) = %q, want %q", got, want)
	}
	if _, err := openSymbols("/dev/null"); err == nil {
		t.Error("openSymbols(/dev/null) succeeded")
	}
}
