package gitrepo

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/gobi-os/gobi/store/backend"
)

// maxObjectSize caps the size an object header may declare, so a corrupt
// or hostile object cannot make the reader allocate without bound.
const maxObjectSize = 1 << 32

func (r *Repo) loosePath(h backend.Hash) string {
	s := h.String()
	return filepath.Join(r.dir, "objects", s[:2], s[2:])
}

// readLoose reads a loose object: zlib("<type> <size>\x00<data>").
func (r *Repo) readLoose(h backend.Hash) (backend.Object, error) {
	f, err := os.Open(r.loosePath(h))
	if errors.Is(err, fs.ErrNotExist) {
		return backend.Object{}, fmt.Errorf("object %s: %w", h, backend.ErrNotFound)
	}
	if err != nil {
		return backend.Object{}, err
	}
	defer f.Close()
	o, err := decodeLoose(f)
	if err != nil {
		return backend.Object{}, fmt.Errorf("loose object %s: %w", h, err)
	}
	if got := o.Hash(); got != h {
		return backend.Object{}, fmt.Errorf("loose object %s: content hashes to %s", h, got)
	}
	return o, nil
}

// decodeLoose decodes the zlib stream of a loose object.
func decodeLoose(rd io.Reader) (backend.Object, error) {
	zr, err := zlib.NewReader(rd)
	if err != nil {
		return backend.Object{}, err
	}
	defer zr.Close()
	br := bufio.NewReader(zr)
	head, err := br.ReadSlice(0)
	if err != nil {
		return backend.Object{}, fmt.Errorf("reading header: %w", err)
	}
	typ, size, ok := bytes.Cut(head[:len(head)-1], []byte{' '})
	if !ok {
		return backend.Object{}, errors.New("malformed header")
	}
	t, err := backend.ParseObjectType(string(typ))
	if err != nil {
		return backend.Object{}, err
	}
	n, err := strconv.ParseInt(string(size), 10, 64)
	if err != nil || n < 0 || n > maxObjectSize {
		return backend.Object{}, fmt.Errorf("bad size %q", size)
	}
	data, err := readN(br, n)
	if err != nil {
		return backend.Object{}, fmt.Errorf("reading data: %w", err)
	}
	return backend.Object{Type: t, Data: data}, nil
}

// zlibWriters and storeWriters recycle compressors: a new one allocates
// about a megabyte.
var (
	zlibWriters  = sync.Pool{New: func() any { return newZlib(zlib.BestSpeed) }}
	storeWriters = sync.Pool{New: func() any { return newZlib(zlib.NoCompression) }}
)

func newZlib(level int) *zlib.Writer {
	zw, _ := zlib.NewWriterLevel(nil, level) // the levels used are valid
	return zw
}

// compressorFor returns the pool to compress an object with. Trees are
// stored without compression: most of their bytes are SHA-1 hashes,
// which do not compress, and merges and lookups read trees far more often
// than anything else, so skipping inflate pays.
func compressorFor(t backend.ObjectType) *sync.Pool {
	if t == backend.TreeObject {
		return &storeWriters
	}
	return &zlibWriters
}

// deflate appends the zlib stream of the concatenation of parts to dst.
func deflate(pool *sync.Pool, dst *bytes.Buffer, parts ...[]byte) error {
	zw := pool.Get().(*zlib.Writer)
	defer pool.Put(zw)
	zw.Reset(dst)
	for _, p := range parts {
		zw.Write(p)
	}
	return zw.Close()
}

// readN reads exactly n bytes. The buffer grows with the data actually
// read, so a header that lies about the size cannot force a huge
// allocation.
func readN(r io.Reader, n int64) ([]byte, error) {
	const trusted = 1 << 20 // sizes up to this are allocated at once
	if n <= trusted {
		data := make([]byte, n)
		if _, err := io.ReadFull(r, data); err != nil {
			return nil, err
		}
		return data, nil
	}
	buf := bytes.NewBuffer(make([]byte, 0, trusted))
	if _, err := io.CopyN(buf, r, n); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeLoose writes objects loose. All are written under temporary names
// first, then fsynced, then renamed into place: on ext4 the first fsync
// commits the others' data too, so a batch costs about one flush.
// Objects already present are left alone.
func (r *Repo) writeLoose(objs []backend.Object, hashes []backend.Hash) error {
	type tmpFile struct {
		f    *os.File
		path string
	}
	var tmps []tmpFile
	defer func() {
		for _, t := range tmps {
			t.f.Close()
			os.Remove(t.f.Name()) // no-op after the rename
		}
	}()
	for i, o := range objs {
		path := r.loosePath(hashes[i])
		if _, err := os.Stat(path); err == nil {
			continue
		}
		var buf bytes.Buffer
		if err := deflate(compressorFor(o.Type), &buf, backend.ObjectHeader(o.Type, len(o.Data)), o.Data); err != nil {
			return err
		}
		f, err := os.CreateTemp(filepath.Join(r.dir, "objects"), "tmp_obj_")
		if err != nil {
			return fmt.Errorf("writing object %s: %w", hashes[i], err)
		}
		tmps = append(tmps, tmpFile{f, path})
		if _, err := f.Write(buf.Bytes()); err != nil {
			return fmt.Errorf("writing object %s: %w", hashes[i], err)
		}
		if err := f.Chmod(0o444); err != nil {
			return err
		}
	}
	for _, t := range tmps {
		if !r.opts.NoSync {
			if err := t.f.Sync(); err != nil {
				return err
			}
		}
		if err := t.f.Close(); err != nil {
			return err
		}
	}
	for _, t := range tmps {
		if err := os.MkdirAll(filepath.Dir(t.path), 0o755); err != nil {
			return err
		}
		if err := os.Rename(t.f.Name(), t.path); err != nil {
			return fmt.Errorf("writing object: %w", err)
		}
	}
	return nil
}

// writeFileAtomic writes data to path through a temporary file in tmpDir
// (on the same file system) named with prefix: a reader, or a process
// after a crash, sees the old file or the whole new one, never a part.
// Git's own temporaries use the prefixes tmp_obj_ and tmp_pack_, which
// git fsck and git gc know to ignore and clean up.
func writeFileAtomic(path, tmpDir, prefix string, data []byte, mode os.FileMode, sync bool) error {
	f, err := os.CreateTemp(tmpDir, prefix)
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, mode)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
