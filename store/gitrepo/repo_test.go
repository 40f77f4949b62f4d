package gitrepo

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/gobi-os/gobi/store/backend"
)

func blobs(n int, tag string) []backend.Object {
	out := make([]backend.Object, n)
	for i := range out {
		out[i] = backend.Object{Type: backend.BlobObject, Data: []byte(fmt.Sprintf("%s %d %s", tag, i, bytes.Repeat([]byte("x"), i)))}
	}
	return out
}

func newRepo(t *testing.T) *Repo {
	t.Helper()
	r, err := Init(t.TempDir(), "main", Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestObjectsRoundTrip(t *testing.T) {
	r := newRepo(t)
	loose, packed := blobs(2, "loose"), blobs(100, "packed")
	for _, batch := range [][]backend.Object{loose, packed} {
		if err := r.PutObjects(batch); err != nil {
			t.Fatal(err)
		}
	}
	if fs, _ := filepath.Glob(filepath.Join(r.Dir(), "objects", "pack", "*.idx")); len(fs) != 1 {
		t.Errorf("pack indexes = %v, want one", fs)
	}
	fresh, err := Open(r.Dir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	for _, o := range append(loose, packed...) {
		got, err := fresh.GetObject(o.Hash())
		if err != nil || got.Type != o.Type || !bytes.Equal(got.Data, o.Data) {
			t.Fatalf("GetObject(%s) = %v %q, %v; want %q", o.Hash(), got.Type, got.Data, err, o.Data)
		}
		if ok, err := fresh.HasObject(o.Hash()); !ok || err != nil {
			t.Errorf("HasObject(%s) = %v, %v", o.Hash(), ok, err)
		}
	}
	if _, err := fresh.GetObject(backend.Hash{1}); !errors.Is(err, backend.ErrNotFound) {
		t.Errorf("GetObject(absent) = %v, want ErrNotFound", err)
	}
	if _, err := exec.LookPath("git"); err == nil {
		for _, o := range packed[:3] {
			out, err := exec.Command("git", "--git-dir", r.Dir(), "cat-file", "-p", o.Hash().String()).Output()
			if err != nil || !bytes.Equal(out, o.Data) {
				t.Errorf("git cat-file %s = %q, %v", o.Hash(), out, err)
			}
		}
		if out, err := exec.Command("git", "--git-dir", r.Dir(), "fsck", "--strict").CombinedOutput(); err != nil {
			t.Errorf("git fsck: %v\n%s", err, out)
		}
	}
}

// TestCompaction writes many small packs and checks their number stays
// bounded while every object stays readable.
func TestCompaction(t *testing.T) {
	r := newRepo(t)
	var all []backend.Object
	for i := range 60 {
		b := blobs(3+i%5, fmt.Sprint("batch", i))
		all = append(all, b...)
		if err := r.PutObjects(b); err != nil {
			t.Fatal(err)
		}
	}
	fs, _ := filepath.Glob(filepath.Join(r.Dir(), "objects", "pack", "*.idx"))
	if len(fs) > compactAt+1 {
		t.Errorf("%d packs after 60 writes, want at most %d", len(fs), compactAt+1)
	}
	fresh, _ := Open(r.Dir(), Options{})
	defer fresh.Close()
	for _, o := range all {
		if got, err := fresh.GetObject(o.Hash()); err != nil || !bytes.Equal(got.Data, o.Data) {
			t.Fatalf("GetObject after compaction: %q, %v", got.Data, err)
		}
	}
}

func TestRefs(t *testing.T) {
	r := newRepo(t)
	a, b := backend.Hash{1}, backend.Hash{2}
	if err := r.CompareAndSwapRef("refs/heads/x/y", backend.ZeroHash, a); err != nil {
		t.Fatal(err)
	}
	if err := r.CompareAndSwapRef("refs/heads/x/y", b, a); !errors.Is(err, backend.ErrRefChanged) {
		t.Errorf("CAS with a wrong old value = %v, want ErrRefChanged", err)
	}
	if err := r.CompareAndSwapRef("refs/heads/x/y", a, b); err != nil {
		t.Fatal(err)
	}
	if h, err := r.Ref("refs/heads/x/y"); h != b || err != nil {
		t.Errorf("Ref = %s, %v; want %s", h, err, b)
	}
	// packed-refs as git writes it, with a peeled tag line.
	packed := fmt.Sprintf("# pack-refs with: peeled fully-peeled sorted \n%s refs/heads/p\n%s refs/tags/v1\n^%s\n", a, b, a)
	os.WriteFile(filepath.Join(r.Dir(), "packed-refs"), []byte(packed), 0o644)
	refs, err := r.Refs("refs/")
	if err != nil || len(refs) != 3 || refs[0].Name != "refs/heads/p" || refs[2].Name != "refs/tags/v1" {
		t.Fatalf("Refs = %v, %v", refs, err)
	}
	// A lock left by a killed writer is taken over once stale.
	lock := filepath.Join(r.Dir(), "refs", "heads", "p.lock")
	os.WriteFile(lock, nil, 0o644)
	old := time.Now().Add(-time.Minute)
	os.Chtimes(lock, old, old)
	if err := r.CompareAndSwapRef("refs/heads/p", a, backend.ZeroHash); err != nil {
		t.Fatalf("deleting a packed ref past a stale lock: %v", err)
	}
	if _, err := r.Ref("refs/heads/p"); !errors.Is(err, backend.ErrNotFound) {
		t.Errorf("Ref(deleted) = %v, want ErrNotFound", err)
	}
	if h, err := r.Ref("refs/tags/v1"); h != b || err != nil {
		t.Errorf("Ref(refs/tags/v1) after rewriting packed-refs = %s, %v", h, err)
	}
	if target, err := r.SymbolicRef("HEAD"); target != "refs/heads/main" || err != nil {
		t.Errorf("SymbolicRef(HEAD) = %q, %v", target, err)
	}
}

func FuzzApplyDelta(f *testing.F) {
	f.Add([]byte("hello world"), []byte{11, 5, 0x90, 5, 5, 'x', 'y', 'z', '!', '?'})
	f.Fuzz(func(t *testing.T, base, delta []byte) {
		applyDelta(base, delta)
	})
}

func FuzzParseIndex(f *testing.F) {
	h := backend.Hash{7}
	f.Add(encodeIndex([]backend.Hash{h}, []int64{12}, []uint32{0}, [20]byte{}))
	f.Fuzz(func(t *testing.T, data []byte) {
		x, err := parseIndex(data)
		if err != nil {
			return
		}
		for i := range 256 {
			x.find(backend.Hash{byte(i)})
		}
	})
}

func FuzzDecodeLoose(f *testing.F) {
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	zw.Write([]byte("blob 5\x00hello"))
	zw.Close()
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		decodeLoose(bytes.NewReader(data))
	})
}

// FuzzPackEntry checks the pack entry decoder on arbitrary pack bytes.
func FuzzPackEntry(f *testing.F) {
	var buf bytes.Buffer
	encodePack(&buf, 1, func(_ int, b *bytes.Buffer) error {
		return encodeEntry(b, backend.Object{Type: backend.BlobObject, Data: []byte("hello")})
	})
	f.Add(buf.Bytes(), int64(12))
	f.Fuzz(func(t *testing.T, data []byte, off int64) {
		p := &pack{data: data, bases: map[int64]backend.Object{}}
		if _, _, _, _, _, err := parseEntryHeader(data, off); err == nil {
			p.entry(off)
		}
	})
}
