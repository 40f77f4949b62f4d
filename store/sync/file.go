package sync

import (
	"bufio"
	"context"
	"fmt"
	"io"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/gobi-os/gobi/store"
)

// filePeer is a repository on a local file system, served in process:
// objects are copied as one packfile and references move by the store's
// compare-and-swap, so no git binary is needed.
type filePeer struct {
	st *store.Store
	r  *Repo
	s  Stats
}

func dialFile(path string) (*filePeer, error) {
	st, err := store.Open(path, nil)
	if err != nil {
		return nil, fmt.Errorf("opening remote %s: %w", path, err)
	}
	return &filePeer{st: st, r: OpenRepo(st)}, nil
}

func (p *filePeer) advertise(ctx context.Context, forPush bool) (map[string]plumbing.Hash, error) {
	return p.r.Refs("refs/")
}

func (p *filePeer) fetch(ctx context.Context, dst *Repo, wants, haves []plumbing.Hash) (int, error) {
	return copyObjects(ctx, p.r, dst, wants, haves, &p.s.BytesReceived)
}

func (p *filePeer) push(ctx context.Context, src *Repo, updates []update, objects *Objects) error {
	if objects.Len() > 0 {
		if err := sendPack(ctx, src, p.r, objects, &p.s.BytesSent); err != nil {
			return err
		}
	}
	for _, u := range updates {
		if err := p.r.SetRef(u.name, u.old, u.new); err != nil {
			return fmt.Errorf("updating %s: %w", u.name, err)
		}
	}
	return nil
}

func (p *filePeer) stats() Stats { return p.s }

func (p *filePeer) close() error { return p.st.Close() }

// copyObjects sends from src to dst the objects reachable from wants and not
// from haves, counting the pack bytes in n.
func copyObjects(ctx context.Context, src, dst *Repo, wants, haves []plumbing.Hash, n *int64) (int, error) {
	objs, err := src.Missing(wants, haves)
	if err != nil {
		return 0, err
	}
	return objs.Len(), sendPack(ctx, src, dst, objs, n)
}

// sendPack streams a pack of objs from src into dst through a pipe, so the
// pack is never held whole in memory. It is thin: dst resolves deltas
// against the objects it has.
func sendPack(ctx context.Context, src, dst *Repo, objs *Objects, n *int64) error {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(src.WritePack(pw, objs, true)) }()
	stop := context.AfterFunc(ctx, func() { pr.CloseWithError(ctx.Err()) })
	defer stop()
	err := dst.ReadPack(bufio.NewReader(countingReader{pr, n}))
	pr.CloseWithError(io.ErrClosedPipe)
	return err
}
