package newc

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// sample writes a small archive shaped like an initramfs.
func sample(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for _, err := range []error{
		w.Dir("dev", 0o755),
		w.CharDev("dev/console", 0o600, 5, 1),
		w.File("init", 0o755, []byte("#!/bin/true\n")),
		w.Dir("modules", 0o755),
		w.File("modules/00-a.ko", 0o644, []byte("odd length")),
		w.File("empty", 0o644, nil),
		w.Close(),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// TestCPIOLists checks that GNU cpio reads the archive back with the names,
// types and device numbers written.
func TestCPIOLists(t *testing.T) {
	if _, err := exec.LookPath("cpio"); err != nil {
		t.Skip("cpio not installed: run scripts/setup")
	}
	cmd := exec.Command("cpio", "-t", "-v", "--quiet")
	cmd.Stdin = bytes.NewReader(sample(t))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("cpio -t: %v\n%s", err, out)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		// "crw-------   1 root  root  5,   1 Jan  1  1970 dev/console"
		got = append(got, f[0]+" "+f[len(f)-1])
		if f[len(f)-1] == "dev/console" && !strings.Contains(line, "5,") {
			t.Errorf("console listed as %q, want device 5, 1", line)
		}
	}
	want := []string{
		"drwxr-xr-x dev",
		"crw------- dev/console",
		"-rwxr-xr-x init",
		"drwxr-xr-x modules",
		"-rw-r--r-- modules/00-a.ko",
		"-rw-r--r-- empty",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("cpio -t lists\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestCPIOExtracts checks that file contents and the device node round-trip
// through GNU cpio's extraction.
func TestCPIOExtracts(t *testing.T) {
	if _, err := exec.LookPath("cpio"); err != nil {
		t.Skip("cpio not installed: run scripts/setup")
	}
	dir := t.TempDir()
	cmd := exec.Command("cpio", "-i", "-d", "--quiet", "--no-absolute-filenames")
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(sample(t))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cpio -i: %v\n%s", err, out)
	}
	for name, want := range map[string]string{
		"init":            "#!/bin/true\n",
		"modules/00-a.ko": "odd length",
		"empty":           "",
	} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(got) != want {
			t.Errorf("extracted %s = %q, %v; want %q", name, got, err, want)
		}
	}
	if os.Geteuid() != 0 {
		return // only root can create the device node
	}
	fi, err := os.Stat(filepath.Join(dir, "dev/console"))
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if fi.Mode()&os.ModeCharDevice == 0 || st.Rdev != 5<<8|1 {
		t.Errorf("dev/console extracted as mode %v rdev %#x, want a character device 5:1", fi.Mode(), st.Rdev)
	}
}

// TestLayout checks the framing the kernel relies on: every header starts on
// a four-byte boundary with the magic, and the archive ends with the trailer.
func TestLayout(t *testing.T) {
	b := sample(t)
	if len(b)%4 != 0 {
		t.Errorf("archive length %d is not a multiple of 4", len(b))
	}
	if n := bytes.Count(b, []byte("070701")); n != 7 {
		t.Errorf("archive has %d headers, want 7 (6 entries and the trailer)", n)
	}
	if !bytes.HasSuffix(bytes.TrimRight(b, "\x00"), []byte(trailerName)) {
		t.Errorf("archive does not end with %s", trailerName)
	}
}

// TestBadNames checks that names the kernel would misplace are refused and
// leave the archive usable.
func TestBadNames(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for _, name := range []string{"", "/init", "a/../b", "a//b", "dir/", ".", trailerName} {
		if err := w.File(name, 0o644, nil); err == nil {
			t.Errorf("File(%q) = nil, want an error", name)
		}
	}
	if buf.Len() != 0 {
		t.Errorf("refused entries wrote %d bytes", buf.Len())
	}
	if err := w.File("ok", 0o644, []byte("x")); err != nil {
		t.Errorf("File(ok) after refusals = %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.File("late", 0o644, nil); err == nil {
		t.Error("File after Close = nil, want an error")
	}
}
