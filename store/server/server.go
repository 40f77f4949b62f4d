package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"time"

	"github.com/gobi-os/gobi/store"
	"github.com/gobi-os/gobi/store/sync"
)

// Default bounds on request bodies.
const (
	// DefaultMaxPushBytes bounds a pushed pack.
	DefaultMaxPushBytes = 1 << 30
	// DefaultMaxRequestBytes bounds every other request body: JSON API
	// requests and fetch negotiations (a have line is 50 bytes, so this
	// admits some 80,000 haves).
	DefaultMaxRequestBytes = 4 << 20
)

// Options tunes a Server. The zero value is ready to use.
type Options struct {
	// MaxPushBytes bounds the body of a push; zero means
	// DefaultMaxPushBytes.
	MaxPushBytes int64
	// MaxRequestBytes bounds other request bodies; zero means
	// DefaultMaxRequestBytes.
	MaxRequestBytes int64
	// ReadOnly refuses pushes and writes through the JSON API.
	ReadOnly bool
	// Heartbeat is how often a watch stream sends a comment to keep
	// proxies from closing it; zero means 15 s.
	Heartbeat time.Duration
}

// Server serves one store. It is an http.Handler.
type Server struct {
	st   *store.Store
	repo *sync.Repo
	opts Options
	mux  *http.ServeMux
}

// New returns a Server for st.
func New(st *store.Store, opts Options) *Server {
	if opts.MaxPushBytes <= 0 {
		opts.MaxPushBytes = DefaultMaxPushBytes
	}
	if opts.MaxRequestBytes <= 0 {
		opts.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = 15 * time.Second
	}
	s := &Server{st: st, repo: sync.OpenRepo(st), opts: opts, mux: http.NewServeMux()}
	s.routes()
	return s
}

func (s *Server) routes() {
	s.mux.HandleFunc("GET /info/refs", s.infoRefs)
	s.mux.HandleFunc("POST /git-upload-pack", s.uploadPack)
	s.mux.HandleFunc("POST /git-receive-pack", s.receivePack)
	s.apiRoutes()
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		httpError(w, http.StatusNotFound, "no such endpoint %s %s: Git smart HTTP is at / and the JSON API under /api/v1/", r.Method, r.URL.Path)
	})
}

// ServeHTTP implements http.Handler. Paths are cleaned first ("//info/refs"
// from a base URL ending in '/'), since ServeMux would answer them with a
// redirect that costs a round trip and turns a POST into a GET.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if c := path.Clean(r.URL.Path); c != r.URL.Path && c != "." {
		r.URL.Path = c
	}
	s.mux.ServeHTTP(w, r)
}

// apiError is the body of every JSON API error.
type apiError struct {
	Error string `json:"error"`
}

// httpError writes a JSON error with status code.
func httpError(w http.ResponseWriter, code int, format string, args ...any) {
	writeJSON(w, code, apiError{Error: fmt.Sprintf(format, args...)})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}
