package sync

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// peer is the far side of a transfer: a Git server or a repository on disk.
type peer interface {
	// advertise returns the peer's references by full name: those it
	// offers for fetching, or (forPush) those it accepts updates to.
	advertise(ctx context.Context, forPush bool) (map[string]plumbing.Hash, error)
	// fetch stores in dst the objects reachable from wants and not from
	// haves, and returns how many arrived.
	fetch(ctx context.Context, dst *Repo, wants, haves []plumbing.Hash) (int, error)
	// push sends objects from src, then applies updates, each by
	// compare-and-swap against its old value.
	push(ctx context.Context, src *Repo, updates []update, objects *Objects) error
	// stats returns the traffic so far.
	stats() Stats
	close() error
}

// update moves one reference of a peer from old to new (zero: absent).
type update struct {
	name     string
	old, new plumbing.Hash
}

// dialRemote resolves remote (a configured remote's name, a URL or a path)
// and connects to it.
func dialRemote(r *Repo, remote string, opts Options) (name, addr string, p peer, err error) {
	if name, addr, err = resolveRemote(r, remote); err != nil {
		return "", "", nil, err
	}
	p, err = dial(addr, opts)
	return name, addr, p, err
}

// dial returns the peer at rawURL: an http(s):// URL, a file:// URL or a
// local path.
func dial(rawURL string, opts Options) (peer, error) {
	if strings.HasPrefix(rawURL, "http://") || strings.HasPrefix(rawURL, "https://") {
		return dialHTTP(rawURL, opts)
	}
	path := rawURL
	if strings.HasPrefix(rawURL, "file://") {
		u, err := url.Parse(rawURL)
		if err != nil {
			return nil, fmt.Errorf("remote %q: %w", rawURL, err)
		}
		path = u.Path
	} else if strings.Contains(rawURL, "://") {
		return nil, fmt.Errorf("remote %q: unsupported scheme: use http://, https://, file:// or a directory path", rawURL)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("remote %q: %w", rawURL, err)
	}
	return dialFile(abs)
}

// packCount reads the object count from a packfile header (gitformat-pack:
// "PACK", version, count, all big-endian) without consuming it.
func packCount(r *bufio.Reader) (int, error) {
	hdr, err := r.Peek(12)
	if err != nil {
		return 0, fmt.Errorf("reading pack header: %w", err)
	}
	if string(hdr[:4]) != "PACK" {
		return 0, fmt.Errorf("received data is not a packfile (starts %q)", hdr[:4])
	}
	return int(binary.BigEndian.Uint32(hdr[8:])), nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n *int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += int64(n)
	return n, err
}
