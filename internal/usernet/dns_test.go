package usernet

import (
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
)

// answerA is the address the test nameserver gives every name.
var answerA = [4]byte{192, 0, 2, 7}

// answer builds the test nameserver's reply to query.
func answer(t *testing.T, query []byte) []byte {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		t.Errorf("nameserver: parsing the query: %v", err)
		return nil
	}
	q, err := p.Question()
	if err != nil {
		t.Errorf("nameserver: parsing the question: %v", err)
		return nil
	}
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true})
	b.StartQuestions()
	b.Question(q)
	b.StartAnswers()
	b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}, dnsmessage.AResource{A: answerA})
	reply, err := b.Finish()
	if err != nil {
		t.Errorf("nameserver: building the reply: %v", err)
	}
	return reply
}

// nameserver runs a DNS server on 127.0.0.1, over UDP and over TCP on the
// same port, until the test ends, and returns its address.
func nameserver(t *testing.T) netip.AddrPort {
	// The UDP port the kernel picks may be taken for TCP by another
	// program: try a few.
	var (
		pc   *net.UDPConn
		l    *net.TCPListener
		addr netip.AddrPort
	)
	for try := 0; ; try++ {
		var err error
		pc, err = net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		addr = pc.LocalAddr().(*net.UDPAddr).AddrPort()
		if l, err = net.ListenTCP("tcp", net.TCPAddrFromAddrPort(addr)); err == nil {
			break
		}
		pc.Close()
		if try == 20 {
			t.Fatalf("nameserver: no port free for both UDP and TCP: %v", err)
		}
	}
	t.Cleanup(func() { pc.Close() })
	t.Cleanup(func() { l.Close() })
	go func() {
		buf := make([]byte, 512)
		for {
			n, from, err := pc.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			pc.WriteToUDPAddrPort(answer(t, buf[:n]), from)
		}
	}()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			// RFC 1035 section 4.2.2: over TCP each message is preceded
			// by its length.
			var n uint16
			if binary.Read(c, binary.BigEndian, &n) == nil {
				q := make([]byte, n)
				if _, err := io.ReadFull(c, q); err == nil {
					r := answer(t, q)
					c.Write(binary.BigEndian.AppendUint16(nil, uint16(len(r))))
					c.Write(r)
				}
			}
			c.Close()
		}
	}()
	return addr
}

func query(t *testing.T, id uint16) []byte {
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: id, RecursionDesired: true})
	b.StartQuestions()
	b.Question(dnsmessage.Question{Name: dnsmessage.MustNewName("example.org."), Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET})
	q, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// checkAnswer fails unless reply answers query id with answerA.
func checkAnswer(t *testing.T, reply []byte, id uint16) {
	t.Helper()
	var m dnsmessage.Message
	if err := m.Unpack(reply); err != nil {
		t.Fatalf("unpacking the reply: %v", err)
	}
	if m.ID != id || len(m.Answers) != 1 {
		t.Fatalf("reply: ID %d with %d answers, want ID %d with 1", m.ID, len(m.Answers), id)
	}
	if a, ok := m.Answers[0].Body.(*dnsmessage.AResource); !ok || a.A != answerA {
		t.Errorf("answer = %v, want A %v", m.Answers[0].Body, netip.AddrFrom4(answerA))
	}
}

func TestDNSRelay(t *testing.T) {
	_, g := newGuest(t, config{resolver: nameserver(t)})
	dns := tcpip.FullAddress{NIC: nicID, Addr: tcpAddr(DNS), Port: 53}

	t.Run("udp", func(t *testing.T) {
		c, err := gonet.DialUDP(g, nil, &dns, ipv4.ProtocolNumber)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(testTimeout))
		if _, err := c.Write(query(t, 1)); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 512)
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("reading the answer: %v", err)
		}
		checkAnswer(t, buf[:n], 1)
	})

	t.Run("tcp", func(t *testing.T) {
		c, err := guestDial(g, netip.AddrPortFrom(DNS, 53))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(testTimeout))
		q := query(t, 2)
		c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(q))), q...))
		var n uint16
		if err := binary.Read(c, binary.BigEndian, &n); err != nil {
			t.Fatalf("reading the answer's length: %v", err)
		}
		r := make([]byte, n)
		if _, err := io.ReadFull(c, r); err != nil {
			t.Fatalf("reading the answer: %v", err)
		}
		checkAnswer(t, r, 2)
	})
}

func TestHostResolver(t *testing.T) {
	for _, tc := range []struct {
		conf string
		want string // "" for an error
	}{
		{"nameserver 127.0.0.53\noptions edns0\n", "127.0.0.53:53"},
		{"# generated\nsearch example.org\nnameserver 192.0.2.1\nnameserver 192.0.2.2\n", "192.0.2.1:53"},
		{"nameserver bogus\nnameserver ::1\n", "[::1]:53"},
		{"nameserver ::ffff:192.0.2.9\n", "192.0.2.9:53"},
		{"search example.org\n", ""},
		{"", ""},
	} {
		path := filepath.Join(t.TempDir(), "resolv.conf")
		if err := os.WriteFile(path, []byte(tc.conf), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := hostResolver(path)
		gotS := ""
		if err == nil {
			gotS = got.String()
		}
		if gotS != tc.want {
			t.Errorf("hostResolver(%q) = %q, %v; want %q", tc.conf, gotS, err, tc.want)
		}
	}
	if _, err := hostResolver(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Errorf("hostResolver(a missing file) = nil error, want one")
	}
}
