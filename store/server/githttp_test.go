package server

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/format/pktline"
)

func pkts(lines ...string) []byte {
	var b bytes.Buffer
	e := pktline.NewEncoder(&b)
	for _, l := range lines {
		if l == "" {
			e.Flush()
		} else {
			e.EncodeString(l)
		}
	}
	return b.Bytes()
}

const hashA = "1111111111111111111111111111111111111111"

func TestParseNegotiation(t *testing.T) {
	tests := []struct {
		name             string
		in               []byte
		wants, haves     int
		done, multiAck   bool
		wantErrSubstring string
	}{
		{name: "clone", in: pkts("want "+hashA+" multi_ack_detailed side-band-64k\n", "", "done\n"), wants: 1, done: true, multiAck: true},
		{name: "round", in: pkts("want "+hashA+"\n", "", "have "+hashA+"\n", "have "+hashA+"\n", ""), wants: 1, haves: 2},
		{name: "bad hash", in: pkts("want 123\n"), wantErrSubstring: "malformed want"},
		{name: "shallow", in: pkts("want "+hashA+"\n", "deepen 1\n"), wantErrSubstring: "no shallow"},
		{name: "garbage", in: []byte("zzzz"), wantErrSubstring: "invalid"},
	}
	for _, tt := range tests {
		n, err := parseNegotiation(bytes.NewReader(tt.in))
		if tt.wantErrSubstring != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErrSubstring) {
				t.Errorf("%s: parseNegotiation = %v, want error containing %q", tt.name, err, tt.wantErrSubstring)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: parseNegotiation: %v", tt.name, err)
			continue
		}
		if len(n.wants) != tt.wants || len(n.haves) != tt.haves || n.done != tt.done || n.caps["multi_ack_detailed"] != tt.multiAck {
			t.Errorf("%s: parseNegotiation = %+v", tt.name, n)
		}
	}
}

// FuzzParseNegotiation feeds the request parser arbitrary bytes, as a
// client may.
func FuzzParseNegotiation(f *testing.F) {
	f.Add(pkts("want "+hashA+" side-band-64k thin-pack\n", "", "have "+hashA+"\n", "done\n"))
	f.Add([]byte("0000"))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseNegotiation(bytes.NewReader(b))
	})
}

// TestReadOnly checks that a read-only server serves reads and refuses
// writes through both the JSON API and git push.
func TestReadOnly(t *testing.T) {
	st, url := serve(t, Options{ReadOnly: true})
	fill(t, st)
	if code := call(t, "POST", url+"/api/v1/set", map[string]any{"key": "k", "text": "v"}, nil); code != http.StatusForbidden {
		t.Errorf("set on a read-only server = %d, want 403", code)
	}
	var got jsonValue
	if code := call(t, "GET", url+"/api/v1/get?key=hits", nil, &got); code != 200 || got.Type != "counter" {
		t.Errorf("get on a read-only server = %d %+v", code, got)
	}
	resp, err := http.Get(url + "/info/refs?service=git-receive-pack")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("receive-pack advertisement on a read-only server = %d, want 403", resp.StatusCode)
	}
}
