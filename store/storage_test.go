package store

import (
	"errors"
	"testing"

	"github.com/gobi-os/gobi/store/backend"
	"github.com/gobi-os/gobi/store/gitrepo"
)

// TestStorageConformance runs the backend.Storage contract against every
// implementation.
func TestStorageConformance(t *testing.T) {
	impls := map[string]func(t *testing.T) backend.Storage{
		"memory": func(*testing.T) backend.Storage { return backend.NewMemory("main") },
		"gitrepo": func(t *testing.T) backend.Storage {
			r, err := gitrepo.Init(t.TempDir(), "main", gitrepo.Options{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			return r
		},
	}
	for name, open := range impls {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			defer st.Close()
			objs := []backend.Object{
				{Type: backend.BlobObject, Data: []byte("a")},
				{Type: backend.BlobObject, Data: []byte("b")},
				{Type: backend.TreeObject, Data: nil},
				{Type: backend.BlobObject, Data: []byte("a")}, // a repeat
			}
			if err := st.PutObjects(objs); err != nil {
				t.Fatal(err)
			}
			for _, o := range objs {
				got, err := st.GetObject(o.Hash())
				if err != nil || got.Type != o.Type || string(got.Data) != string(o.Data) {
					t.Errorf("GetObject(%s) = %v %q, %v", o.Hash(), got.Type, got.Data, err)
				}
			}
			if ok, err := st.HasObject(backend.Hash{9}); ok || err != nil {
				t.Errorf("HasObject(absent) = %v, %v", ok, err)
			}
			if _, err := st.GetObject(backend.Hash{9}); !errors.Is(err, backend.ErrNotFound) {
				t.Errorf("GetObject(absent) = %v, want ErrNotFound", err)
			}
			h1, h2 := objs[0].Hash(), objs[1].Hash()
			if _, err := st.Ref("refs/heads/main"); !errors.Is(err, backend.ErrNotFound) {
				t.Errorf("Ref(absent) = %v, want ErrNotFound", err)
			}
			if err := st.CompareAndSwapRef("refs/heads/main", backend.ZeroHash, h1); err != nil {
				t.Fatal(err)
			}
			if err := st.CompareAndSwapRef("refs/heads/main", backend.ZeroHash, h2); !errors.Is(err, backend.ErrRefChanged) {
				t.Errorf("CAS creating an existing ref = %v, want ErrRefChanged", err)
			}
			if err := st.CompareAndSwapRef("refs/heads/dev/x", backend.ZeroHash, h2); err != nil {
				t.Fatal(err)
			}
			refs, err := st.Refs("refs/heads/")
			if err != nil || len(refs) != 2 || refs[0].Name != "refs/heads/dev/x" || refs[1].Hash != h1 {
				t.Errorf("Refs = %v, %v", refs, err)
			}
			if err := st.CompareAndSwapRef("refs/heads/main", h1, backend.ZeroHash); err != nil {
				t.Fatal(err)
			}
			if refs, _ := st.Refs("refs/heads/m"); len(refs) != 0 {
				t.Errorf("Refs after delete = %v", refs)
			}
			if target, err := st.SymbolicRef("HEAD"); target != "refs/heads/main" || err != nil {
				t.Errorf("SymbolicRef(HEAD) = %q, %v", target, err)
			}
			if err := st.Refresh(); err != nil {
				t.Error(err)
			}
		})
	}
}
