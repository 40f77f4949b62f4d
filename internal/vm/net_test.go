package vm

import (
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseForward(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Forward
		err  bool
	}{
		{in: "8080:80", want: Forward{HostAddr: netip.MustParseAddr("127.0.0.1"), HostPort: 8080, GuestPort: 80}},
		{in: "0.0.0.0:8443:443", want: Forward{HostAddr: netip.MustParseAddr("0.0.0.0"), HostPort: 8443, GuestPort: 443}},
		{in: "5353:53/udp", want: Forward{UDP: true, HostAddr: netip.MustParseAddr("127.0.0.1"), HostPort: 5353, GuestPort: 53}},
		{in: "80:80/tcp", want: Forward{HostAddr: netip.MustParseAddr("127.0.0.1"), HostPort: 80, GuestPort: 80}},
		{in: "80", err: true},
		{in: "0:80", err: true},
		{in: "80:70000", err: true},
		{in: "80:80/sctp", err: true},
		{in: "::1:80:80", err: true},
		{in: "host:80:80", err: true},
	} {
		got, err := ParseForward(c.in)
		if (err != nil) != c.err || err == nil && got != c.want {
			t.Errorf("ParseForward(%q) = %+v, %v; want %+v, error %v", c.in, got, err, c.want, c.err)
		}
	}
}

func TestNetArgs(t *testing.T) {
	n := Net{Mode: NetUser, Forwards: []Forward{{HostAddr: netip.MustParseAddr("127.0.0.1"), HostPort: 8080, GuestPort: 80}, {UDP: true, HostAddr: netip.MustParseAddr("127.0.0.1"), HostPort: 5353, GuestPort: 53}}}
	got := strings.Join(n.qemuArgs(""), " ")
	if !strings.Contains(got, "user,id=net0,hostfwd=tcp:127.0.0.1:8080-:80,hostfwd=udp:127.0.0.1:5353-:53") || !strings.Contains(got, "virtio-net-device,netdev=net0") {
		t.Errorf("user args = %s", got)
	}
	n = Net{Mode: NetLAN, Name: "a", IP: netip.MustParsePrefix("10.1.0.2/24")}
	if err := n.Validate(); err != nil {
		t.Error(err)
	}
	if got := n.Cmdline(); !reflect.DeepEqual(got, []string{"gobi.ip=10.1.0.2/24"}) {
		t.Errorf("Cmdline = %v", got)
	}
	for _, bad := range []Net{
		{Mode: NetLAN, Name: "a"},
		{Mode: NetTap, Name: "t", Forwards: []Forward{{HostPort: 1, GuestPort: 1}}},
		{Mode: NetUser, Gateway: netip.MustParseAddr("10.0.2.2")},
	} {
		if bad.Validate() == nil {
			t.Errorf("Validate(%+v) = nil, want an error", bad)
		}
	}
	if (&Net{Mode: NetNone}).qemuArgs("") != nil {
		t.Error("-net none adds a network card")
	}
}

func TestParseNetMode(t *testing.T) {
	for in, want := range map[string][2]string{"user": {"user", ""}, "none": {"none", ""}, "tap:tap0": {"tap", "tap0"}, "lan:blue": {"lan", "blue"}} {
		m, n, err := ParseNetMode(in)
		if err != nil || m != want[0] || n != want[1] {
			t.Errorf("ParseNetMode(%q) = %q, %q, %v", in, m, n, err)
		}
	}
	for _, bad := range []string{"bridge", "tap", "lan:", "user:x", "lan:a/b"} {
		if _, _, err := ParseNetMode(bad); err == nil {
			t.Errorf("ParseNetMode(%q) succeeded", bad)
		}
	}
}

// TestLANHub relays frames between three members and drops a member that
// claims an oversized frame.
func TestLANHub(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	sock, stop, err := JoinLAN("test")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if again, stop2, err := JoinLAN("test"); err != nil || again != sock {
		t.Fatalf("second JoinLAN = %q, %v", again, err)
	} else {
		stop2()
	}
	var m [3]net.Conn
	for i := range m {
		if m[i], err = net.Dial("unix", sock); err != nil {
			t.Fatal(err)
		}
		defer m[i].Close()
	}
	time.Sleep(50 * time.Millisecond) // let the hub register all three
	frame := []byte("\xff\xff\xff\xff\xff\xff\x52\x54\x00\x12\x34\x56\x08\x06hello")
	var hdr [4]byte
	binary.BigEndian.PutUint32(hdr[:], uint32(len(frame)))
	m[0].Write(append(hdr[:], frame...))
	for _, c := range m[1:] {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		got := make([]byte, 4+len(frame))
		if _, err := io.ReadFull(c, got); err != nil || string(got[4:]) != string(frame) {
			t.Fatalf("member got %q, %v", got, err)
		}
	}
	binary.BigEndian.PutUint32(hdr[:], 1<<30)
	m[2].Write(hdr[:])
	m[2].SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := m[2].Read(hdr[:]); err == nil {
		t.Error("a member claiming a 1 GiB frame was not dropped")
	}
}
