package memfs

import (
	"bytes"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"
)

var testBundle = []BundleFile{
	{Path: "/src/pkg", Mode: S_IFDIR | 0o755, ModTime: 1e18},
	{Path: "/src/pkg/testdata/in.txt", Mode: S_IFREG | 0o644, ModTime: 2e18, Data: []byte("hello\x00\xff\"\\\n")},
	{Path: "/src/pkg/run.sh", Mode: S_IFREG | 0o755, ModTime: 3, Data: bytes.Repeat([]byte{1, 2, 3}, 5000)},
	{Path: "/src/pkg/empty", Mode: S_IFREG | 0o600},
	{Path: "/src/pkg/link", Mode: S_IFLNK | 0o777, Data: []byte("testdata/in.txt")},
	{Path: "/usr/local/go/lib/time/zoneinfo.zip", Mode: S_IFREG | 0o444, Data: []byte("PK")},
	{Path: "/etc/hosts", Mode: S_IFREG | 0o644, Data: []byte("10.1.1.1 db\n")},
}

func TestBundleRoundTrip(t *testing.T) {
	data, err := EncodeBundle(testBundle)
	if err != nil {
		t.Fatal(err)
	}
	reset(t)
	image := string(data)
	if errno := LoadBundle(image); errno != 0 {
		t.Fatalf("LoadBundle = %v", errno)
	}
	for _, f := range testBundle {
		var st Stat
		if errno := StatAt(NoFile, f.Path, &st, AT_SYMLINK_NOFOLLOW); errno != 0 {
			t.Fatalf("StatAt(%q) = %v", f.Path, errno)
		}
		if st.Mode != f.Mode || st.Mtim != timespec(f.ModTime) {
			t.Errorf("%s: mode %#o mtime %v, want %#o %v", f.Path, st.Mode, st.Mtim, f.Mode, timespec(f.ModTime))
		}
		switch f.Mode & S_IFMT {
		case S_IFREG:
			if got := readFile(t, f.Path); got != string(f.Data) {
				t.Errorf("%s = %q, want %q", f.Path, got, f.Data)
			}
		case S_IFLNK:
			b := make([]byte, 100)
			n, _ := Readlink(NoFile, f.Path, b, 0)
			if string(b[:n]) != string(f.Data) {
				t.Errorf("%s -> %q, want %q", f.Path, b[:n], f.Data)
			}
		}
	}
	// In place: no page was allocated for the data, which reads from the
	// bundle's own bytes.
	if pagesUsed != 0 {
		t.Errorf("%d pages in use after LoadBundle, want 0: the bundle is not copied", pagesUsed)
	}
	var st Stat
	StatAt(NoFile, "/usr/local/go/lib/time", &st, 0)
	if st.Mode != S_IFDIR|0o755 {
		t.Errorf("implied directory mode %#o, want 0755", st.Mode)
	}
	if _, errno := Open(NoFile, "/src/pkg/run.sh", O_RDWR, 0); errno != EROFS {
		t.Errorf("Open(bundle file, O_RDWR) = %v, want EROFS", errno)
	}
	if errno := Mkdir(NoFile, "/src/pkg/new", 0o755); errno != EROFS {
		t.Errorf("Mkdir in a bundle directory = %v, want EROFS", errno)
	}
	if errno := Access(NoFile, "/src/pkg/run.sh", X_OK, 0); errno != 0 {
		t.Errorf("Access(run.sh, X_OK) = %v", errno)
	}
}

func TestEncodeBundleRejects(t *testing.T) {
	cases := []struct {
		f    BundleFile
		want string
	}{
		{BundleFile{Path: "rel", Mode: S_IFREG}, "absolute"},
		{BundleFile{Path: "/", Mode: S_IFDIR}, "absolute"},
		{BundleFile{Path: "/a//b", Mode: S_IFREG}, "clean"},
		{BundleFile{Path: "/a/../b", Mode: S_IFREG}, "clean"},
		{BundleFile{Path: "/a/", Mode: S_IFREG}, "clean"},
		{BundleFile{Path: "/a\x00", Mode: S_IFREG}, "NUL"},
		{BundleFile{Path: "/" + strings.Repeat("n", 256), Mode: S_IFREG}, "NAME_MAX"},
		{BundleFile{Path: "/a", Mode: S_IFCHR}, "regular file"},
		{BundleFile{Path: "/a", Mode: S_IFREG | 0o200000}, "unknown bits"},
		{BundleFile{Path: "/a", Mode: S_IFDIR, Data: []byte("x")}, "directory has data"},
		{BundleFile{Path: "/a", Mode: S_IFLNK}, "symlink target"},
		{BundleFile{Path: "/a", Mode: S_IFLNK, Data: []byte("a\x00")}, "NUL"},
	}
	for _, c := range cases {
		_, err := EncodeBundle([]BundleFile{c.f})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.f.Path) {
			t.Errorf("EncodeBundle(%q) = %v, want an error naming the path and %q", c.f.Path, err, c.want)
		}
	}
	_, err := EncodeBundle([]BundleFile{{Path: "/a", Mode: S_IFREG}, {Path: "/a", Mode: S_IFREG}})
	if err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("EncodeBundle(duplicate) = %v, want \"given twice\"", err)
	}
}

// TestLoadBundleRejects damages a valid bundle every way the format can be
// and requires EINVAL with nothing created.
func TestLoadBundleRejects(t *testing.T) {
	good, _ := EncodeBundle(testBundle[:3])
	edits := map[string]func(b []byte) []byte{
		"empty":          func(b []byte) []byte { return nil },
		"magic":          func(b []byte) []byte { b[0] = 'G'; return b },
		"version":        func(b []byte) []byte { b[8] = 2; return b },
		"count high":     func(b []byte) []byte { b[12]++; return b },
		"count low":      func(b []byte) []byte { b[12]--; return b },
		"truncated":      func(b []byte) []byte { return b[:len(b)-1] },
		"trailing":       func(b []byte) []byte { return append(b, 0) },
		"reserved":       func(b []byte) []byte { b[16+6] = 1; return b },
		"path too long":  func(b []byte) []byte { b[16+4] = 0xff; return b },
		"data too long":  func(b []byte) []byte { b[16+8+3] = 0xff; return b },
		"mode":           func(b []byte) []byte { b[16+2] = 0; b[16+1] = 0; return b },
		"path relative":  func(b []byte) []byte { b[16+20] = 'x'; return b },
		"later mode bad": func(b []byte) []byte { b[16+20+8] = 0xff; b[16+20+8+1] = 0xff; b[16+20+8+2] = 0xff; return b },
	}
	for name, edit := range edits {
		reset(t)
		nodes := fs.nodeTop
		if errno := LoadBundle(string(edit(bytes.Clone(good)))); errno != EINVAL {
			t.Errorf("LoadBundle(%s) = %v, want EINVAL", name, errno)
		}
		if fs.nodeTop != nodes {
			t.Errorf("LoadBundle(%s) created nodes before failing", name)
		}
	}
}

// TestBundleUnderTmp: bundle files below /tmp are read-only, /tmp is not.
func TestBundleUnderTmp(t *testing.T) {
	reset(t)
	b, _ := EncodeBundle([]BundleFile{
		{Path: "/tmp", Mode: S_IFDIR | 0o1777},
		{Path: "/tmp/go-build1/pkg/data.txt", Mode: S_IFREG | 0o644, Data: []byte("x")},
	})
	if errno := LoadBundle(string(b)); errno != 0 {
		t.Fatalf("LoadBundle = %v", errno)
	}
	if errno := Mkdir(NoFile, "/tmp/new", 0o755); errno != 0 {
		t.Errorf("Mkdir(/tmp/new) = %v: /tmp must stay writable", errno)
	}
	if errno := Mkdir(NoFile, "/tmp/go-build1/pkg/new", 0o755); errno != EROFS {
		t.Errorf("Mkdir in a bundle directory below /tmp = %v, want EROFS", errno)
	}
	if _, errno := Open(NoFile, "/tmp/go-build1/pkg/data.txt", O_WRONLY, 0); errno != EROFS {
		t.Errorf("Open(bundle file below /tmp, O_WRONLY) = %v, want EROFS", errno)
	}
}

// TestBundleConflicts loads well-formed bundles that clash with the tree.
func TestBundleConflicts(t *testing.T) {
	for _, c := range []struct {
		files []BundleFile
		want  Errno
	}{
		{[]BundleFile{{Path: "/etc/hosts/x", Mode: S_IFREG}}, ENOTDIR},
		{[]BundleFile{{Path: "/etc", Mode: S_IFREG}}, EEXIST},
		{[]BundleFile{{Path: "/etc", Mode: S_IFDIR | 0o700}}, 0},
	} {
		reset(t)
		b, err := EncodeBundle(c.files)
		if err != nil {
			t.Fatal(err)
		}
		if errno := LoadBundle(string(b)); errno != c.want {
			t.Errorf("LoadBundle(%s) = %v, want %v", c.files[0].Path, errno, c.want)
		}
	}
}

// TestBundleSource checks that the generated file is Go whose string
// literal holds exactly the bundle.
func TestBundleSource(t *testing.T) {
	data, _ := EncodeBundle(testBundle)
	src := BundleSource(data)
	f, err := parser.ParseFile(token.NewFileSet(), "bundle.go", src, 0)
	if err != nil {
		t.Fatalf("BundleSource is not Go: %v", err)
	}
	if f.Name.Name != "kernel" {
		t.Errorf("package %s, want kernel", f.Name.Name)
	}
	i := bytes.Index(src, []byte("var bundleData = "))
	lit := strings.TrimSpace(string(src[i+len("var bundleData = "):]))
	got, err := strconv.Unquote(lit)
	if err != nil || got != string(data) {
		t.Errorf("bundleData does not round-trip: %v", err)
	}
	if len(src) > 4*len(data)+300 {
		t.Errorf("source is %d bytes for a %d-byte bundle", len(src), len(data))
	}
}

// FuzzLoadBundle feeds arbitrary bytes to the loader: it must never panic,
// and what it accepts must be in the tree exactly as encoded.
func FuzzLoadBundle(f *testing.F) {
	good, _ := EncodeBundle(testBundle)
	f.Add(good)
	one, _ := EncodeBundle(testBundle[4:5])
	f.Add(one)
	f.Add([]byte(bundleMagic))
	f.Add(good[:40])
	f.Fuzz(func(t *testing.T, data []byte) {
		reset(t)
		image := string(data)
		if LoadBundle(image) != 0 {
			checkInvariants(t)
			return
		}
		checkInvariants(t)
		count, _ := bundleHeader(image)
		off := bundleHeaderSize
		for k := uint32(0); k < count; k++ {
			var e bundleEntry
			e, off, _ = nextEntry(image, off)
			var st Stat
			if errno := StatAt(NoFile, e.path, &st, AT_SYMLINK_NOFOLLOW); errno != 0 {
				t.Fatalf("accepted entry %q: StatAt = %v", e.path, errno)
			}
			if e.mode&S_IFMT == S_IFREG && st.Size != int64(len(e.data)) {
				// A later entry may replace the file: only the last counts.
				continue
			}
		}
		// Whatever was accepted re-encodes to the same bytes.
		var files []BundleFile
		off = bundleHeaderSize
		seen := map[string]bool{}
		for k := uint32(0); k < count; k++ {
			var e bundleEntry
			e, off, _ = nextEntry(image, off)
			if seen[e.path] {
				return // duplicates load (the last wins) but do not encode
			}
			seen[e.path] = true
			files = append(files, BundleFile{Path: e.path, Mode: e.mode, ModTime: e.mtime, Data: []byte(e.data)})
		}
		again, err := EncodeBundle(files)
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("accepted bundle does not re-encode: %v", err)
		}
	})
}
