package vm

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"
)

// decodeList is the guest's side of encodeList, written independently.
func decodeList(t *testing.T, word string) []string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(word)
	if err != nil {
		t.Fatalf("decoding %q: %v", word, err)
	}
	s := string(raw)
	if s == "" {
		return nil
	}
	if !strings.HasSuffix(s, "\x00") {
		t.Fatalf("list %q does not end in NUL", s)
	}
	return strings.Split(strings.TrimSuffix(s, "\x00"), "\x00")
}

func TestCmdlineString(t *testing.T) {
	c := Cmdline{
		Argv:   []string{"hello", "a b", "", "ünï\xff", "--", "x=y z"},
		Env:    []string{"A=1", "B=two words", "C="},
		Cwd:    "/usr/local/go/src/strings",
		TSCKHz: 2596146,
		Debug:  true,
	}
	words := strings.Split(c.String(), " ")
	got := map[string]string{}
	for _, w := range words {
		k, v, ok := strings.Cut(w, "=")
		if !ok {
			t.Fatalf("word %q has no '='", w)
		}
		got[k] = v
	}
	if len(got) != len(words) || len(words) != 5 {
		t.Fatalf("Cmdline.String() = %q, want five distinct words", c.String())
	}
	if argv := decodeList(t, got["gobi.argv"]); !slices.Equal(argv, c.Argv) {
		t.Errorf("argv = %q, want %q", argv, c.Argv)
	}
	if env := decodeList(t, got["gobi.env"]); !slices.Equal(env, c.Env) {
		t.Errorf("env = %q, want %q", env, c.Env)
	}
	if cwd, _ := base64.RawURLEncoding.DecodeString(got["gobi.cwd"]); string(cwd) != c.Cwd {
		t.Errorf("cwd = %q, want %q", cwd, c.Cwd)
	}
	if got["gobi.tsc_khz"] != "2596146" || got["gobi.debug"] != "1" {
		t.Errorf("tsc_khz, debug = %q, %q", got["gobi.tsc_khz"], got["gobi.debug"])
	}
}

func TestCmdlineOmitsDefaults(t *testing.T) {
	got := Cmdline{Argv: []string{"p"}}.String()
	if want := "gobi.argv=cAA"; got != want {
		t.Errorf("Cmdline{Argv: [p]}.String() = %q, want %q", got, want)
	}
}
