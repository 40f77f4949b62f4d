package sync

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/sideband"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
)

// httpPeer speaks Git smart HTTP through go-git's client, over an
// http.Client of its own whose connections count the bytes on the wire.
type httpPeer struct {
	ep   *transport.Endpoint
	auth transport.AuthMethod
	tr   transport.Transport
	m    *meter

	upCaps, rpCaps *capability.List
}

func dialHTTP(rawURL string, opts Options) (*httpPeer, error) {
	ep, err := transport.NewEndpoint(rawURL)
	if err != nil {
		return nil, fmt.Errorf("remote %q: %w", redactURL(rawURL), err)
	}
	// go-git appends "/info/refs" and the service names to the path.
	ep.Path = strings.TrimRight(ep.Path, "/")
	p := &httpPeer{ep: ep, m: &meter{}}
	user, pass := opts.Username, opts.Password
	if user == "" && pass == "" {
		user, pass = ep.User, ep.Password
	}
	if user != "" || pass != "" {
		p.auth = &githttp.BasicAuth{Username: user, Password: pass}
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	base := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &meteredConn{Conn: c, m: p.m}, nil
		},
		TLSHandshakeTimeout: 10 * time.Second,
		ForceAttemptHTTP2:   true,
	}
	p.tr = githttp.NewClient(&http.Client{Transport: countingTransport{base, p.m}})
	return p, nil
}

func (p *httpPeer) advertise(ctx context.Context, forPush bool) (map[string]plumbing.Hash, error) {
	var ar *packp.AdvRefs
	if forPush {
		s, err := p.tr.NewReceivePackSession(p.ep, p.auth)
		if err != nil {
			return nil, err
		}
		if ar, err = s.AdvertisedReferencesContext(ctx); err != nil {
			return nil, err
		}
		p.rpCaps = ar.Capabilities
	} else {
		s, err := p.tr.NewUploadPackSession(p.ep, p.auth)
		if err != nil {
			return nil, err
		}
		ar, err = s.AdvertisedReferencesContext(ctx)
		if errors.Is(err, transport.ErrEmptyRemoteRepository) {
			return map[string]plumbing.Hash{}, nil
		}
		if err != nil {
			return nil, err
		}
		p.upCaps = ar.Capabilities
	}
	out := map[string]plumbing.Hash{}
	for name, h := range ar.References {
		out[name] = h
	}
	return out, nil
}

func (p *httpPeer) fetch(ctx context.Context, dst *Repo, wants, haves []plumbing.Hash) (int, error) {
	if p.upCaps == nil {
		return 0, errors.New("internal error: fetch before advertise")
	}
	s, err := p.tr.NewUploadPackSession(p.ep, p.auth)
	if err != nil {
		return 0, err
	}
	defer s.Close()
	req := packp.NewUploadPackRequestFromCapabilities(p.upCaps)
	// Ask for a thin pack: ReadPack resolves its deltas against the
	// objects this side has, and it is what keeps fetch bytes in
	// proportion to the change. go-git drops thin-pack from the
	// capabilities it passes on, so the advertisement cannot say;
	// git's upload-pack and gobi's offer it, go-git's server refuses it.
	if agent := p.upCaps.Get(capability.Agent); len(agent) == 0 || !strings.HasPrefix(agent[0], "go-git/") {
		req.Capabilities.Set(capability.ThinPack)
	}
	if p.upCaps.Supports(capability.NoProgress) {
		req.Capabilities.Set(capability.NoProgress)
	}
	req.Wants = wants
	req.Haves = haves
	resp, err := s.UploadPack(ctx, req)
	if err != nil {
		return 0, err
	}
	defer resp.Close()
	var r io.Reader = resp
	switch {
	case req.Capabilities.Supports(capability.Sideband64k):
		r = sideband.NewDemuxer(sideband.Sideband64k, resp)
	case req.Capabilities.Supports(capability.Sideband):
		r = sideband.NewDemuxer(sideband.Sideband, resp)
	}
	br := bufio.NewReader(r)
	n, err := packCount(br)
	if err != nil {
		return 0, err
	}
	return n, dst.ReadPack(br)
}

func (p *httpPeer) push(ctx context.Context, src *Repo, updates []update, objects *Objects) error {
	if p.rpCaps == nil {
		return errors.New("internal error: push before advertise")
	}
	s, err := p.tr.NewReceivePackSession(p.ep, p.auth)
	if err != nil {
		return err
	}
	defer s.Close()
	req := packp.NewReferenceUpdateRequestFromCapabilities(p.rpCaps)
	for _, u := range updates {
		req.Commands = append(req.Commands, &packp.Command{Name: plumbing.ReferenceName(u.name), Old: u.old, New: u.new})
	}
	pr, pw := io.Pipe()
	// Receive-pack takes thin packs unless it says otherwise.
	thin := !p.rpCaps.Supports(noThin)
	go func() { pw.CloseWithError(src.WritePack(pw, objects, thin)) }()
	defer pr.Close()
	// go-git reads the whole pack before it sends the request: end that
	// read at the deadline too.
	stop := context.AfterFunc(ctx, func() { pr.CloseWithError(ctx.Err()) })
	defer stop()
	req.Packfile = pr
	report, err := s.ReceivePack(ctx, req)
	if err != nil {
		return err
	}
	if report == nil {
		return errors.New("server sent no status report for the push")
	}
	return report.Error()
}

func (p *httpPeer) stats() Stats {
	return Stats{
		RoundTrips:    int(p.m.trips.Load()),
		BytesSent:     p.m.sent.Load(),
		BytesReceived: p.m.received.Load(),
	}
}

func (p *httpPeer) close() error { return nil }

// noThin is the receive-pack capability refusing thin packs
// (gitprotocol-capabilities: "no-thin").
const noThin capability.Capability = "no-thin"

// isAuthError reports whether err is a server's refusal of credentials.
func isAuthError(err error) bool {
	return errors.Is(err, transport.ErrAuthenticationRequired) ||
		errors.Is(err, transport.ErrAuthorizationFailed) ||
		errors.Is(err, ErrAuth)
}

// meter counts one peer's traffic.
type meter struct {
	trips          atomic.Int64
	sent, received atomic.Int64
}

// meteredConn counts the bytes crossing a connection.
type meteredConn struct {
	net.Conn
	m *meter
}

func (c *meteredConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.m.received.Add(int64(n))
	return n, err
}

func (c *meteredConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.m.sent.Add(int64(n))
	return n, err
}

// countingTransport counts HTTP requests.
type countingTransport struct {
	http.RoundTripper
	m *meter
}

func (t countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.m.trips.Add(1)
	return t.RoundTripper.RoundTrip(r)
}
