package gotest

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDouble(t *testing.T) {
	if got := Double(21); got != 42 {
		t.Errorf("Double(21) = %d, want 42", got)
	}
}

func TestReadsTestdata(t *testing.T) {
	b, err := os.ReadFile("testdata/input.txt")
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "bundled into the image\n" {
		t.Errorf("testdata/input.txt = %q", b)
	}
}

func TestWritesTempDir(t *testing.T) {
	f := filepath.Join(t.TempDir(), "x")
	if err := os.WriteFile(f, []byte("scratch"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(f); err != nil || string(b) != "scratch" {
		t.Errorf("read back %q, %v", b, err)
	}
}

// TestFailsOnPurpose is selected with -run by the end-to-end tests, to see
// gobi test report a failure as go test does.
func TestFailsOnPurpose(t *testing.T) {
	t.Fatal("failing on purpose")
}
