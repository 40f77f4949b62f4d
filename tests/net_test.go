package tests

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gobi-os/gobi/internal/vm"
	"github.com/gobi-os/gobi/netstack"
	"golang.org/x/net/dns/dnsmessage"
)

var netGuest = &builtImage{pkg: "./tests/testdata/netguest", file: "netguest.img"}

// netGuestImage builds testdata/netguest once.
func netGuestImage(t *testing.T) string { return netGuest.get(t) }

// background is a gobi run in the background.
type background struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	stdout bytes.Buffer
	stderr bytes.Buffer
	done   chan struct{}
}

func (g *background) output() (string, string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.stdout.String(), g.stderr.String()
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// startGuest runs gobi with args in the background (wrapped by prefix, such
// as ip netns exec) and waits until the guest says its network is up. It is
// stopped with SIGTERM when the test ends.
func startGuest(t *testing.T, prefix []string, args ...string) *background {
	t.Helper()
	all := append(append([]string{}, prefix...), gobiBin)
	all = append(all, args...)
	g := &background{cmd: exec.Command(all[0], all[1:]...), done: make(chan struct{})}
	g.cmd.Dir = repo
	g.cmd.Stdout = lockedWriter{&g.mu, &g.stdout}
	g.cmd.Stderr = lockedWriter{&g.mu, &g.stderr}
	if err := g.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { g.cmd.Wait(); close(g.done) }()
	t.Cleanup(func() {
		g.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-g.done:
		case <-time.After(30 * time.Second):
			g.cmd.Process.Kill()
			<-g.done
		}
	})
	deadline := time.After(4 * time.Minute)
	for {
		_, stderr := g.output()
		if strings.Contains(stderr, "gobi: network up") {
			return g
		}
		select {
		case <-g.done:
			out, stderr := g.output()
			t.Fatalf("gobi %s exited before the network came up\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), out, stderr)
		case <-deadline:
			out, stderr := g.output()
			t.Fatalf("gobi %s: no \"network up\" after 4 minutes\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), out, stderr)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// freePort returns a loopback TCP port nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// waitHTTP retries a GET until the server answers: "network up" says the
// interface is configured, not that the program listens yet.
func waitHTTP(t *testing.T, client *http.Client, url string) string {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		body, err := httpGet(client, url)
		if err == nil {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v", url, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func httpGet(client *http.Client, url string) (string, error) {
	resp, err := client.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return string(b), fmt.Errorf("%s: %s", url, resp.Status)
	}
	return string(b), err
}

// TestNetServerThroughForward: an unmodified net/http server in the guest
// answers curl and Go clients through -p.
func TestNetServerThroughForward(t *testing.T) {
	needQEMU(t)
	t.Parallel()
	port := freePort(t)
	startGuest(t, nil, "run", "-p", fmt.Sprintf("%d:8080", port), netGuestImage(t), "serve")
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitHTTP(t, &http.Client{Timeout: 60 * time.Second}, base+"/ready")
	if curl, err := exec.LookPath("curl"); err == nil {
		out, err := exec.Command(curl, "-sS", "-m", "60", base+"/curl").CombinedOutput()
		if err != nil || string(out) != "hello from the guest: /curl\n" {
			t.Fatalf("curl: %q, %v", out, err)
		}
	}
	client := &http.Client{Timeout: 60 * time.Second}
	for i := 0; i < 20; i++ {
		body, err := httpGet(client, fmt.Sprintf("%s/k%d", base, i))
		if err != nil || body != fmt.Sprintf("hello from the guest: /k%d\n", i) {
			t.Fatalf("request %d: %q, %v", i, body, err)
		}
	}
	// Uploads: every byte arrives in order (the link coalesces received
	// segments), also when the program reads slower than the data comes
	// and the kernel's receive buffer fills.
	data := make([]byte, 8<<20)
	rand.Read(data)
	for _, up := range []struct {
		query string
		size  int
	}{{"", 8 << 20}, {"?slow=1", 1 << 20}} {
		resp, err := client.Post(base+"/upload"+up.query, "application/octet-stream", bytes.NewReader(data[:up.size]))
		if err != nil {
			t.Fatalf("upload%s: %v", up.query, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := fmt.Sprintf("%d %x <nil>\n", up.size, sha256.Sum256(data[:up.size]))
		if err != nil || string(body) != want {
			t.Errorf("upload%s: the guest read %q, %v; want %q", up.query, body, err, want)
		}
	}
}

// TestNetConcurrentConnections: 200 concurrent connections to the guest
// server all complete, and 10,000 sequential connections leak neither
// goroutines nor memory. The test reaches the guest over a private LAN with
// a TCP/IP stack of its own: QEMU's user network accepts forwarded
// connections with a listen backlog of 1, so a burst of 200 would measure
// the host's SYN retries rather than the guest.
func TestNetConcurrentConnections(t *testing.T) {
	needQEMU(t)
	t.Parallel()
	lan := fmt.Sprintf("c%d", os.Getpid()%100000)
	startGuest(t, nil, "run", "-net", "lan:"+lan, "-ip", "10.76.0.2/24", netGuestImage(t), "serve")
	client, _ := lanClient(t, lan, "10.76.0.1/24")
	base := "http://10.76.0.2:8080"
	waitHTTP(t, client, base+"/ready")
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			body, err := httpGet(client, fmt.Sprintf("%s/c%d", base, i))
			if err == nil && body != fmt.Sprintf("hello from the guest: /c%d\n", i) {
				err = fmt.Errorf("connection %d got %q", i, body)
			}
			errs <- err
		}(i)
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if err != nil {
			failed++
			if failed <= 3 {
				t.Error(err)
			}
		}
	}
	if failed > 0 {
		t.Fatalf("%d of 200 concurrent connections failed", failed)
	}

	n := 10000
	if testing.Short() {
		n = 1000
	}
	checkNoLeak(t, client, base, n)
}

// checkNoLeak makes n sequential requests to the netguest server at base and
// checks that its goroutines and heap in use (from /stats) come back to
// where they were, within a margin.
func checkNoLeak(t *testing.T, client *http.Client, base string, n int) {
	t.Helper()
	// Closed connections stay in TIME_WAIT for 5 s in the guest's stack
	// (netstack), holding memory by design: measure after they are gone.
	stats := func() (g, heap uint64) {
		time.Sleep(6 * time.Second)
		body, err := httpGet(client, base+"/stats")
		if err != nil {
			t.Fatal(err)
		}
		var s map[string]uint64
		if err := json.Unmarshal([]byte(body), &s); err != nil {
			t.Fatalf("stats %q: %v", body, err)
		}
		return s["goroutines"], s["heap"]
	}
	g0, h0 := stats()
	for i := 0; i < n; i++ {
		if _, err := httpGet(client, base+"/seq"); err != nil {
			t.Fatalf("sequential connection %d: %v", i, err)
		}
	}
	g1, h1 := stats()
	t.Logf("after %d sequential connections: goroutines %d -> %d, heap in use %d -> %d KiB", n, g0, g1, h0>>10, h1>>10)
	if g1 > g0+10 {
		t.Errorf("goroutines grew from %d to %d over %d connections", g0, g1, n)
	}
	if h1 > h0+8<<20 {
		t.Errorf("heap in use grew from %d to %d KiB over %d connections", h0>>10, h1>>10, n)
	}
}

// lanClient joins LAN lan with address addr, through a TCP/IP stack in the
// test process (package netstack over the LAN hub's socket), and returns an
// HTTP client dialing from it (no keep-alive: every request is a new
// connection) and the card, for injecting raw frames.
func lanClient(t *testing.T, lan, addr string) (*http.Client, *frameNIC) {
	t.Helper()
	conn, err := net.Dial("unix", vm.LANSocket(lan))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	nic := newFrameNIC(conn)
	st, err := netstack.New(nic)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Configure(netstack.Config{Addrs: []netip.Prefix{netip.MustParsePrefix(addr)}}); err != nil {
		t.Fatal(err)
	}
	return &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return st.Dial(ctx, network, addr)
		},
	}}, nic
}

// TestNetHTTPS serves examples/https over TLS 1.3, verified against the
// certificate it prints.
func TestNetHTTPS(t *testing.T) {
	needQEMU(t)
	t.Parallel()
	checkHTTPS(t)
}

// checkHTTPS runs examples/https with gobi run's flags (the target) and
// checks it with a verifying Go client and openssl s_client.
func checkHTTPS(t *testing.T, flags ...string) {
	t.Helper()
	port := freePort(t)
	args := append(append([]string{"run"}, flags...), "-p", fmt.Sprintf("%d:443", port), "./examples/https", "-print-cert")
	g := startGuest(t, nil, args...)
	var pemData string
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		out, _ := g.output()
		if i := strings.Index(out, "-----END CERTIFICATE-----"); i >= 0 {
			pemData = out[:i+len("-----END CERTIFICATE-----")]
			break
		}
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(pemData)) {
		t.Fatalf("no certificate printed: %q", pemData)
	}
	client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS13},
	}}
	if body := waitHTTP(t, client, fmt.Sprintf("https://localhost:%d/", port)); !strings.Contains(body, "Served by a Gobi unikernel") {
		t.Fatalf("GET over TLS: %q", body)
	}
	if _, stderr := g.output(); !strings.Contains(stderr, "generated a self-signed certificate") {
		t.Errorf("no log line about the generated certificate:\n%s", stderr)
	}
	if openssl, err := exec.LookPath("openssl"); err == nil {
		cmd := exec.Command(openssl, "s_client", "-connect", fmt.Sprintf("127.0.0.1:%d", port), "-tls1_3", "-servername", "localhost")
		cmd.Stdin = strings.NewReader("")
		out, _ := cmd.CombinedOutput()
		if !bytes.Contains(out, []byte("TLSv1.3")) {
			t.Errorf("openssl s_client did not negotiate TLS 1.3:\n%s", out)
		}
	}
}

// TestNetGuestClient: the guest fetches from a host server, resolves a
// name through a DNS server the test runs, and gets a UDP echo.
func TestNetGuestClient(t *testing.T) {
	needQEMU(t)
	t.Parallel()
	checkGuestClient(t, netGuestImage(t))
}

// port53 serialises the tests that answer DNS on the host's port 53.
var port53 sync.Mutex

// checkGuestClient runs netguest's client modes with gobi run's flags (the
// target) before the image. Both QEMU's user network and gobi's map
// 10.0.2.2 to the host's loopback.
func checkGuestClient(t *testing.T, img string, flags ...string) {
	t.Helper()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello guest, from the host: %s", r.URL.Path)
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	url := fmt.Sprintf("http://10.0.2.2:%d/from-guest", ln.Addr().(*net.TCPAddr).Port)
	args := append(append([]string{"run", "-timeout", "4m"}, flags...), img, "get", url)
	r := gobi(t, invocation{}, args...)
	r.want(t, 0, []string{"200 OK hello guest, from the host: /from-guest"}, []string{"gobi: network up"})

	echo, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := echo.ReadFrom(buf)
			if err != nil {
				return
			}
			echo.WriteTo(buf[:n], from)
		}
	}()
	args = append(append([]string{"run", "-timeout", "4m"}, flags...), img, "udpecho", fmt.Sprintf("10.0.2.2:%d", echo.LocalAddr().(*net.UDPAddr).Port))
	r = gobi(t, invocation{}, args...)
	r.want(t, 0, []string{`echo "ping from the guest"`}, nil)

	// DNS needs the host's port 53 (10.0.2.2:53 reaches it).
	port53.Lock()
	defer port53.Unlock()
	dns, err := net.ListenPacket("udp", "127.0.0.1:53")
	if err != nil {
		t.Skipf("DNS part skipped: cannot listen on 127.0.0.1:53 (%v); run as root", err)
	}
	defer dns.Close()
	go serveDNS(dns, "gobi.test.", [4]byte{10, 9, 8, 7})
	args = append(append([]string{"run", "-timeout", "4m"}, flags...), "-dns", "10.0.2.2", img, "lookup", "gobi.test")
	r = gobi(t, invocation{}, args...)
	r.want(t, 0, []string{"addrs [10.9.8.7]"}, nil)
}

// serveDNS answers A queries for name with addr and everything else with
// NXDOMAIN.
func serveDNS(pc net.PacketConn, name string, addr [4]byte) {
	buf := make([]byte, 1500)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		var p dnsmessage.Parser
		h, err := p.Start(buf[:n])
		if err != nil {
			continue
		}
		q, err := p.Question()
		if err != nil {
			continue
		}
		resp := dnsmessage.Message{Header: dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true}, Questions: []dnsmessage.Question{q}}
		switch {
		case !strings.EqualFold(q.Name.String(), name):
			resp.RCode = dnsmessage.RCodeNameError
		case q.Type == dnsmessage.TypeA:
			resp.Answers = []dnsmessage.Resource{{
				Header: dnsmessage.ResourceHeader{Name: q.Name, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET, TTL: 60},
				Body:   &dnsmessage.AResource{A: addr},
			}}
		}
		out, err := resp.Pack()
		if err == nil {
			pc.WriteTo(out, from)
		}
	}
}

// TestNetDeadlines: a read deadline fires on time; closing a listener
// unblocks Accept.
func TestNetDeadlines(t *testing.T) {
	needQEMU(t)
	t.Parallel()
	r := gobi(t, invocation{}, "run", "-timeout", "3m", "-net", "none", netGuestImage(t), "deadlines")
	r.want(t, 0, []string{"read deadline after", "accept after close: "}, nil)
	var ms int
	if i := strings.Index(r.stdout, "read deadline after "); i >= 0 {
		fmt.Sscanf(r.stdout[i+len("read deadline after "):], "%d", &ms)
	}
	if ms < 300 || ms > 3000 {
		t.Errorf("a 300 ms read deadline fired after %d ms", ms)
	}
}

// TestNetLAN: two unikernels on a private LAN, one serving, one fetching.
func TestNetLAN(t *testing.T) {
	needQEMU(t)
	t.Parallel()
	img := netGuestImage(t)
	lan := fmt.Sprintf("t%d", os.Getpid()%100000)
	startGuest(t, nil, "run", "-net", "lan:"+lan, "-ip", "10.77.0.1/24", img, "serve")
	probe, _ := lanClient(t, lan, "10.77.0.3/24")
	waitHTTP(t, probe, "http://10.77.0.1:8080/ready")
	r := gobi(t, invocation{}, "run", "-timeout", "4m", "-net", "lan:"+lan, "-ip", "10.77.0.2/24", img, "get", "http://10.77.0.1:8080/over-the-lan")
	r.want(t, 0, []string{"200 OK hello from the guest: /over-the-lan"}, nil)
}

// TestNetMalformedFrames injects broken frames into the guest's LAN and
// checks it still serves: the test joins the LAN with a TCP/IP stack of its
// own (package netstack over the LAN hub's socket).
func TestNetMalformedFrames(t *testing.T) {
	needQEMU(t)
	t.Parallel()
	lan := fmt.Sprintf("m%d", os.Getpid()%100000)
	startGuest(t, nil, "run", "-net", "lan:"+lan, "-ip", "10.78.0.2/24", netGuestImage(t), "serve")
	client, nic := lanClient(t, lan, "10.78.0.1/24")
	if body := waitHTTP(t, client, "http://10.78.0.2:8080/before"); body != "hello from the guest: /before\n" {
		t.Fatalf("before injecting: %q", body)
	}
	guestMAC := nic.lastSource()
	for i, frame := range malformedFrames(guestMAC, nic.MAC()) {
		if err := nic.send(frame); err != nil {
			t.Fatalf("injecting frame %d: %v", i, err)
		}
	}
	if body, err := httpGet(client, "http://10.78.0.2:8080/after"); err != nil || body != "hello from the guest: /after\n" {
		t.Fatalf("after injecting malformed frames: %q, %v", body, err)
	}
}

// malformedFrames are Ethernet frames to dst that no correct stack may
// crash on: truncated headers, lengths that lie, garbage payloads.
func malformedFrames(dst, src net.HardwareAddr) [][]byte {
	eth := func(typ uint16, payload []byte) []byte {
		f := append(append(append([]byte{}, dst...), src...), byte(typ>>8), byte(typ))
		return append(f, payload...)
	}
	ip := func(proto byte, totalLen uint16, ihl byte, rest []byte) []byte {
		h := []byte{0x40 | ihl, 0, byte(totalLen >> 8), byte(totalLen), 0, 0, 0, 0, 64, proto, 0, 0, 10, 78, 0, 1, 10, 78, 0, 2}
		return append(h, rest...)
	}
	tcpShort := []byte{0x30, 0x39, 0x1f, 0x90, 0, 0, 0, 1} // 8 of 20 header bytes
	tcpBadOffset := []byte{0x30, 0x39, 0x1f, 0x90, 0, 0, 0, 1, 0, 0, 0, 0, 0xf0, 0x02, 0xff, 0xff, 0, 0, 0, 0}
	var frames [][]byte
	frames = append(frames,
		eth(0x0800, nil),                                  // IPv4 with no header
		eth(0x0800, ip(6, 1500, 5, tcpShort)),             // total length beyond the frame
		eth(0x0800, ip(6, 28, 5, tcpShort)),               // truncated TCP header
		eth(0x0800, ip(6, 40, 5, tcpBadOffset)),           // TCP data offset past the segment
		eth(0x0800, ip(6, 40, 15, tcpBadOffset)),          // IP header length past the packet
		eth(0x0800, ip(17, 24, 5, []byte{0, 53, 0, 53})),  // truncated UDP header
		eth(0x0806, []byte{0, 1, 8, 0, 6}),                // truncated ARP
		eth(0x86dd, []byte{0x60, 0, 0, 0, 0xff, 0xff, 6}), // truncated IPv6
		eth(0x0800, bytes.Repeat([]byte{0xff}, 1500)),     // garbage
		dst[:3], // shorter than an Ethernet header
	)
	return frames
}

// frameNIC is a netstack.NIC over a QEMU stream socket (a LAN hub member):
// each frame is a 4-byte big-endian length and the frame.
type frameNIC struct {
	conn  net.Conn
	mac   net.HardwareAddr
	wmu   sync.Mutex
	mu    sync.Mutex
	queue [][]byte
	last  net.HardwareAddr
	ready chan struct{}
}

func newFrameNIC(conn net.Conn) *frameNIC {
	n := &frameNIC{conn: conn, mac: net.HardwareAddr{0x52, 0x54, 0x00, 0x7e, 0x57, 0x01}, ready: make(chan struct{}, 1)}
	go n.read()
	return n
}

func (n *frameNIC) read() {
	r := bufio.NewReader(n.conn)
	var hdr [4]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return
		}
		f := make([]byte, binary.BigEndian.Uint32(hdr[:]))
		if _, err := io.ReadFull(r, f); err != nil {
			return
		}
		n.mu.Lock()
		n.queue = append(n.queue, f)
		if len(f) >= 12 {
			n.last = net.HardwareAddr(f[6:12])
		}
		n.mu.Unlock()
		select {
		case n.ready <- struct{}{}:
		default:
		}
	}
}

func (n *frameNIC) send(f []byte) error {
	n.wmu.Lock()
	defer n.wmu.Unlock()
	var hdr [4]byte
	binary.BigEndian.PutUint32(hdr[:], uint32(len(f)))
	_, err := n.conn.Write(append(hdr[:], f...))
	return err
}

func (n *frameNIC) lastSource() net.HardwareAddr {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.last
}

func (n *frameNIC) MAC() net.HardwareAddr  { return n.mac }
func (n *frameNIC) MTU() int               { return 1500 }
func (n *frameNIC) Ready() <-chan struct{} { return n.ready }
func (n *frameNIC) Transmit(frames [][]byte) (int, error) {
	for i, f := range frames {
		if err := n.send(f); err != nil {
			return i, err
		}
	}
	return len(frames), nil
}
func (n *frameNIC) Receive(fn func([]byte)) (int, error) {
	n.mu.Lock()
	q := n.queue
	n.queue = nil
	n.mu.Unlock()
	for _, f := range q {
		fn(f)
	}
	return len(q), nil
}

// TestNetPing: the guest answers ping over a tap device in a network
// namespace the test creates (QEMU's user network carries no inbound ICMP).
func TestNetPing(t *testing.T) {
	needQEMU(t)
	if os.Geteuid() != 0 {
		t.Skip("needs root for a network namespace and a tap device")
	}
	ping, err := exec.LookPath("ping")
	if err != nil {
		t.Skip("ping (iputils-ping) not installed")
	}
	t.Parallel()
	in := tapNamespace(t, "gobi-ping", "gtap0", "10.79.0.1/24")
	startGuest(t, in, "run", "-net", "tap:gtap0", "-ip", "10.79.0.2/24", netGuestImage(t), "serve")
	out, err := exec.Command(in[0], append(in[1:], ping, "-c", "3", "-W", "10", "10.79.0.2")...).CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte(" 0% packet loss")) {
		t.Fatalf("ping 10.79.0.2: %v\n%s", err, out)
	}
}

// tapNamespace creates a network namespace (removed when the test ends)
// holding the tap device tap with the address cidr, and returns the command
// prefix that runs a program inside it. It skips the test without root or
// iproute2.
func tapNamespace(t *testing.T, name, tap, cidr string) []string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for a network namespace and a tap device")
	}
	ipCmd, err := exec.LookPath("ip")
	if err != nil {
		t.Skip("ip (iproute2) not installed")
	}
	ns := fmt.Sprintf("%s-%d", name, os.Getpid())
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(ipCmd, args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("netns", "add", ns)
	t.Cleanup(func() { exec.Command(ipCmd, "netns", "delete", ns).Run() })
	run("netns", "exec", ns, "ip", "link", "set", "lo", "up")
	run("netns", "exec", ns, "ip", "tuntap", "add", "dev", tap, "mode", "tap")
	run("netns", "exec", ns, "ip", "addr", "add", cidr, "dev", tap)
	run("netns", "exec", ns, "ip", "link", "set", tap, "up")
	return []string{ipCmd, "netns", "exec", ns}
}
