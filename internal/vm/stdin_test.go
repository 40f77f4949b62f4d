package vm

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

func TestCopyStdin(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "\xff\x00"},
		{"hello\n", "hello\n\xff\x00"},
		{"\xff", "\xff\xff\xff\x00"},
		{"a\xff\x00b\xff\xff", "a\xff\xff\x00b\xff\xff\xff\xff\xff\x00"},
	} {
		var out bytes.Buffer
		// One byte per read exercises the escape across read boundaries.
		if err := copyStdin(&out, iotest.OneByteReader(bytes.NewReader([]byte(tc.in)))); err != nil {
			t.Fatalf("copyStdin(%q): %v", tc.in, err)
		}
		if out.String() != tc.want {
			t.Errorf("copyStdin(%q) = %q, want %q", tc.in, out.String(), tc.want)
		}
		if got := unescape(t, out.Bytes()); got != tc.in {
			t.Errorf("unescape(copyStdin(%q)) = %q", tc.in, got)
		}
	}
}

func TestCopyStdinReadError(t *testing.T) {
	boom := errors.New("boom")
	var out bytes.Buffer
	err := copyStdin(&out, io.MultiReader(bytes.NewReader([]byte("ab")), iotest.ErrReader(boom)))
	if !errors.Is(err, boom) {
		t.Fatalf("copyStdin = %v, want boom", err)
	}
	if out.String() != "ab" {
		t.Errorf("copyStdin wrote %q before the error, want %q and no end-of-file mark", out.String(), "ab")
	}
}

// unescape is the guest's side of the escaping, as docs/hostabi.md states it.
func unescape(t *testing.T, b []byte) string {
	var out []byte
	for i := 0; i < len(b); i++ {
		if b[i] != escByte {
			out = append(out, b[i])
			continue
		}
		i++
		if i == len(b) {
			t.Fatalf("dangling escape in %q", b)
		}
		if b[i] == escEOF {
			if i != len(b)-1 {
				t.Fatalf("bytes after end of file in %q", b)
			}
			return string(out)
		}
		out = append(out, b[i])
	}
	t.Fatalf("no end-of-file mark in %q", b)
	return ""
}

func FuzzCopyStdin(f *testing.F) {
	f.Add([]byte("a\xff\x00"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var out bytes.Buffer
		if err := copyStdin(&out, bytes.NewReader(in)); err != nil {
			t.Fatal(err)
		}
		if got := unescape(t, out.Bytes()); got != string(in) {
			t.Fatalf("round trip of %q gave %q", in, got)
		}
	})
}
