package server

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/pktline"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/sideband"

	"github.com/gobi-os/gobi/store"
	"github.com/gobi-os/gobi/store/backend"
	"github.com/gobi-os/gobi/store/sync"
)

// Service names (http-protocol: "Smart Clients").
const (
	uploadPack  = "git-upload-pack"
	receivePack = "git-receive-pack"
)

// agent is the agent capability value the server announces.
const agent = "gobi-store/1"

// infoRefs answers GET /info/refs?service=...: the reference advertisement
// of gitprotocol-pack, behind the "# service=" header smart HTTP adds.
func (s *Server) infoRefs(w http.ResponseWriter, r *http.Request) {
	service := r.URL.Query().Get("service")
	if service != uploadPack && service != receivePack {
		http.Error(w, "only smart HTTP is served: use git 1.6.6 or later", http.StatusForbidden)
		return
	}
	if service == receivePack && s.opts.ReadOnly {
		http.Error(w, "this server is read-only", http.StatusForbidden)
		return
	}
	if err := s.st.Refresh(); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	refs, err := s.repo.Refs("refs/")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	ar := packp.NewAdvRefs()
	ar.Prefix = [][]byte{[]byte("# service=" + service), pktline.Flush}
	caps := ar.Capabilities
	caps.Set(capability.Agent, agent)
	caps.Set(capability.OFSDelta)
	if service == uploadPack {
		caps.Set(capability.Sideband64k)
		caps.Set(capability.NoProgress)
		caps.Set(capability.ThinPack)
		caps.Set(capability.MultiACKDetailed)
		if target, err := s.st.Storage().SymbolicRef("HEAD"); err == nil {
			if h, ok := refs[target]; ok {
				ar.Head = &h
				caps.Set(capability.SymRef, "HEAD:"+target)
			}
		}
	} else {
		caps.Set(capability.ReportStatus)
		caps.Set(capability.DeleteRefs)
		caps.Set(capability.Sideband64k)
	}
	for name, h := range refs {
		ar.References[name] = h
	}
	var buf bytes.Buffer
	if err := ar.Encode(&buf); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/x-"+service+"-advertisement")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(buf.Bytes())
}

// negotiation is a parsed upload-pack request (gitprotocol-pack: "Packfile
// Negotiation").
type negotiation struct {
	wants, haves []plumbing.Hash
	caps         map[string]bool
	done         bool
}

// parseNegotiation reads want lines, a flush, have lines and an optional
// "done". Shallow and deepen requests are refused: the server does not
// advertise the shallow capability.
func parseNegotiation(r io.Reader) (*negotiation, error) {
	n := &negotiation{caps: map[string]bool{}}
	sc := pktline.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSuffix(string(sc.Bytes()), "\n")
		cmd, arg, _ := strings.Cut(line, " ")
		switch cmd {
		case "":
			continue // flush between wants and haves, or at the end of a round
		case "want", "have":
			hash, rest, _ := strings.Cut(arg, " ")
			if !plumbing.IsHash(hash) {
				return nil, fmt.Errorf("malformed %s line %q", cmd, line)
			}
			if cmd == "want" {
				n.wants = append(n.wants, plumbing.NewHash(hash))
				for _, c := range strings.Fields(rest) {
					name, _, _ := strings.Cut(c, "=")
					n.caps[name] = true
				}
			} else {
				n.haves = append(n.haves, plumbing.NewHash(hash))
			}
		case "done":
			n.done = true
			return n, nil
		default:
			return nil, fmt.Errorf("unsupported request line %q (this server offers no shallow or filtered fetches)", line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return n, nil
}

// uploadPack answers POST /git-upload-pack in stateless mode
// (gitprotocol-pack: "Packfile Negotiation"; http-protocol: "Smart Service
// git-upload-pack"). Each request carries the wants and the haves so far.
// Without "done" the answer is the negotiation state only: with
// multi_ack_detailed, "ACK <id> common" for each have the server holds, then
// "ACK <id> ready" once one is found — every have the server holds is
// history it can diff against — and NAK; without multi_ack, the ACK of the
// first common object or NAK. With "done" the final ACK (or NAK) is followed
// by the pack of what the wants need beyond the common haves.
func (s *Server) uploadPack(w http.ResponseWriter, r *http.Request) {
	body, err := requestBody(w, r, s.opts.MaxRequestBytes)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	n, err := parseNegotiation(body)
	if err != nil {
		http.Error(w, "git-upload-pack: "+err.Error(), http.StatusBadRequest)
		return
	}
	if len(n.wants) == 0 {
		http.Error(w, "git-upload-pack: no want lines", http.StatusBadRequest)
		return
	}
	if err := s.st.Refresh(); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	for _, h := range n.wants {
		if !s.isTip(h) {
			http.Error(w, fmt.Sprintf("git-upload-pack: not our ref %s", h), http.StatusBadRequest)
			return
		}
	}
	var common []plumbing.Hash
	for _, h := range n.haves {
		if s.repo.Has(h) {
			common = append(common, h)
		}
	}
	var objs *sync.Objects
	if n.done {
		if objs, err = s.repo.Missing(n.wants, common); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	}
	w.Header().Set("Content-Type", "application/x-git-upload-pack-result")
	w.Header().Set("Cache-Control", "no-cache")
	e := pktline.NewEncoder(w)
	detailed := n.caps[string(capability.MultiACKDetailed)]
	switch {
	case !n.done && detailed:
		for _, h := range common {
			e.Encodef("ACK %s common\n", h)
		}
		if len(common) > 0 {
			e.Encodef("ACK %s ready\n", common[len(common)-1])
		}
		e.Encodef("NAK\n")
		return
	case len(common) == 0:
		e.Encodef("NAK\n")
	case detailed:
		e.Encodef("ACK %s\n", common[len(common)-1])
	default:
		e.Encodef("ACK %s\n", common[0])
	}
	if !n.done {
		return
	}
	var out io.Writer = w
	var mux *sideband.Muxer
	switch {
	case n.caps[string(capability.Sideband64k)]:
		mux = sideband.NewMuxer(sideband.Sideband64k, w)
		out = chunker{mux, sidebandData64k}
	case n.caps[string(capability.Sideband)]:
		mux = sideband.NewMuxer(sideband.Sideband, w)
		out = chunker{mux, sidebandData}
	}
	if err := s.repo.WritePack(out, objs, n.caps[string(capability.ThinPack)]); err != nil {
		if mux != nil {
			mux.WriteChannel(sideband.ErrorMessage, []byte("error: "+err.Error()+"\n"))
		}
		return
	}
	if mux != nil {
		e.Flush()
	}
}

// isTip reports whether h is a reference's target: upload-pack serves only
// those (unless allow-*-sha1-in-want, which is not advertised).
func (s *Server) isTip(h plumbing.Hash) bool {
	refs, err := s.repo.Refs("refs/")
	if err != nil {
		return false
	}
	for _, t := range refs {
		if t == h {
			return true
		}
	}
	return false
}

// receivePack answers POST /git-receive-pack: commands, then a pack; the
// pack is stored first, then each reference moves by compare-and-swap
// against the old value the client sent, and the report-status
// (gitprotocol-pack: "Report Status") tells the client which moved.
func (s *Server) receivePack(w http.ResponseWriter, r *http.Request) {
	if s.opts.ReadOnly {
		http.Error(w, "this server is read-only", http.StatusForbidden)
		return
	}
	body, err := requestBody(w, r, s.opts.MaxPushBytes)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req := packp.NewReferenceUpdateRequest()
	if err := req.Decode(body); err != nil {
		http.Error(w, "git-receive-pack: "+err.Error(), http.StatusBadRequest)
		return
	}
	report := packp.NewReportStatus()
	report.UnpackStatus = "ok"
	unpacked := true
	if hasUpdate(req) && req.Packfile != nil {
		if err := s.repo.ReadPack(req.Packfile); err != nil {
			report.UnpackStatus = oneLine(err)
			unpacked = false
		}
	}
	for _, c := range req.Commands {
		status := "ok"
		switch {
		case !unpacked:
			status = "unpacker error"
		case !validRef(string(c.Name)):
			status = "funny refname"
		default:
			if err := s.repo.SetRef(string(c.Name), c.Old, c.New); err != nil {
				status = oneLine(err)
				if errors.Is(err, backend.ErrRefChanged) {
					status = "fetch first: the reference moved during the push"
				}
			}
		}
		report.CommandStatuses = append(report.CommandStatuses, &packp.CommandStatus{ReferenceName: c.Name, Status: status})
	}
	w.Header().Set("Content-Type", "application/x-git-receive-pack-result")
	w.Header().Set("Cache-Control", "no-cache")
	if !req.Capabilities.Supports(capability.ReportStatus) {
		return
	}
	var buf bytes.Buffer
	report.Encode(&buf)
	if req.Capabilities.Supports(capability.Sideband64k) || req.Capabilities.Supports(capability.Sideband) {
		t := sideband.Sideband64k
		if !req.Capabilities.Supports(capability.Sideband64k) {
			t = sideband.Sideband
		}
		sideband.NewMuxer(t, w).Write(buf.Bytes())
		pktline.NewEncoder(w).Flush()
		return
	}
	w.Write(buf.Bytes())
}

// hasUpdate reports whether any command creates or updates a reference, in
// which case a pack follows the commands.
func hasUpdate(req *packp.ReferenceUpdateRequest) bool {
	for _, c := range req.Commands {
		if !c.New.IsZero() {
			return true
		}
	}
	return false
}

// oneLine flattens err for a pkt-line status.
func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", " ")
}

// requestBody returns r's body, gunzipped if the client compressed it (git
// gzips large negotiation requests), and bounded to limit bytes after
// decompression since the peer controls both.
func requestBody(w http.ResponseWriter, r *http.Request, limit int64) (io.ReadCloser, error) {
	switch enc := r.Header.Get("Content-Encoding"); enc {
	case "", "identity":
		return http.MaxBytesReader(w, r.Body, limit), nil
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return nil, fmt.Errorf("reading gzip request body: %w", err)
		}
		return http.MaxBytesReader(w, zr, limit), nil
	default:
		return nil, fmt.Errorf("unsupported Content-Encoding %q", enc)
	}
}

// validRef reports whether name is a reference a push may move: under
// refs/, in git-check-ref-format(1) form.
func validRef(name string) bool {
	rest, ok := strings.CutPrefix(name, "refs/")
	return ok && store.CheckBranchName(rest) == nil
}

// Largest data in one side-band packet: a pkt-line holds at most 65516
// payload bytes (gitprotocol-common: LARGE_PACKET_MAX 65520 with the 4-byte
// length), one of which names the band; side-band (not 64k) packets are at
// most 1000 bytes. go-git's Muxer counts the length bytes as payload, so it
// is fed chunks this size.
const (
	sidebandData64k = 65520 - 4 - 1
	sidebandData    = 1000 - 4 - 1
)

// chunker splits writes into pieces of at most max bytes.
type chunker struct {
	w   io.Writer
	max int
}

func (c chunker) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := min(len(p), c.max)
		m, err := c.w.Write(p[:k])
		n += m
		if err != nil {
			return n, err
		}
		p = p[k:]
	}
	return n, nil
}
