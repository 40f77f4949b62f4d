package memfs

import "testing"

func BenchmarkWrite64K(b *testing.B) {
	reset(b)
	f, _ := Open(NoFile, "/tmp/f", O_RDWR|O_CREAT, 0o644)
	data := make([]byte, 64<<10)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, errno := Pwrite(f, data, 0); errno != 0 {
			b.Fatal(errno)
		}
	}
}

func BenchmarkRead64K(b *testing.B) {
	reset(b)
	f, _ := Open(NoFile, "/tmp/f", O_RDWR|O_CREAT, 0o644)
	data := make([]byte, 64<<10)
	Pwrite(f, data, 0)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, errno := Pread(f, data, 0); errno != 0 {
			b.Fatal(errno)
		}
	}
}

func BenchmarkOpenStatClose(b *testing.B) {
	reset(b)
	for _, d := range []string{"/tmp/a", "/tmp/a/b", "/tmp/a/b/c"} {
		Mkdir(NoFile, d, 0o755)
	}
	Symlink("a/b", NoFile, "/tmp/l")
	writeFile(b, "/tmp/a/b/c/file", "x")
	var st Stat
	for b.Loop() {
		f, errno := Open(NoFile, "/tmp/l/c/file", O_RDONLY, 0)
		if errno != 0 {
			b.Fatal(errno)
		}
		Fstat(f, &st)
		Close(f)
	}
}

func BenchmarkCreateUnlink(b *testing.B) {
	reset(b)
	d := cwd(b, "/tmp")
	for b.Loop() {
		f, errno := Open(d, "some-file-name", O_WRONLY|O_CREAT|O_EXCL, 0o644)
		if errno != 0 {
			b.Fatal(errno)
		}
		Close(f)
		Unlink(d, "some-file-name", 0)
	}
}
