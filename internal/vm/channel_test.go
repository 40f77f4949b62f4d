package vm

import (
	"bytes"
	"strings"
	"testing"
)

func TestChannelRead(t *testing.T) {
	for _, tc := range []struct {
		in      string
		outcome outcome
		status  int
		console string
	}{
		{"boot ok\n\x01exit 3\n", outcomeExit, 3, "gobi: boot ok\n"},
		{"\x01exit 0\n", outcomeExit, 0, ""},
		{"trap 14 at 0x1234\n\x01fault\n", outcomeFault, 0, "gobi: trap 14 at 0x1234\n"},
		{"\x01oom\n", outcomeOOM, 0, ""},
		{"no newline at the end", outcomeNone, 0, "gobi: no newline at the end\n"},
		{"\x01exit 300\n", outcomeNone, 0, "gobi: bad exit record \"exit 300\" from the guest kernel\n"},
		{"\x01hello\n", outcomeNone, 0, "gobi: unknown record \"hello\" from the guest kernel\n"},
	} {
		ch := newChannel(nil)
		var console bytes.Buffer
		if err := ch.read(strings.NewReader(tc.in), &console); err != nil {
			t.Fatalf("read(%q): %v", tc.in, err)
		}
		o, s := ch.result()
		if o != tc.outcome || s != tc.status || console.String() != tc.console {
			t.Errorf("read(%q) = %v, %d, console %q; want %v, %d, %q", tc.in, o, s, console.String(), tc.outcome, tc.status, tc.console)
		}
	}
}

func TestChannelLongLine(t *testing.T) {
	ch := newChannel(nil)
	var console bytes.Buffer
	long := strings.Repeat("x", maxLine+10)
	if err := ch.read(strings.NewReader(long+"\n"), &console); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(console.String(), "gobi: "); got != 2 {
		t.Errorf("a %d-byte line printed as %d messages, want 2", len(long), got)
	}
}

func TestChannelSend(t *testing.T) {
	var out bytes.Buffer
	ch := newChannel(&out)
	ch.markReady()
	ch.send("sig 15")
	if out.String() != "\x01sig 15\n" {
		t.Errorf("send(sig 15) wrote %q", out.String())
	}
}
