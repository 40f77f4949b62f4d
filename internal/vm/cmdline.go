package vm

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// Cmdline is what gobi tells the guest kernel at boot, encoded as the QEMU
// -append string of docs/hostabi.md ("The command line").
type Cmdline struct {
	Argv   []string // the program's os.Args, argv[0] included
	Env    []string // the program's entire environment, K=V entries
	Cwd    string   // initial working directory; "" means /
	TSCKHz uint64   // host TSC frequency in kHz; 0 leaves the kernel to calibrate
	Debug  bool     // log every unimplemented syscall with its arguments
	Net    []string // the network's words (gobi.ip=...), from Net.Cmdline
}

// String encodes c as space-separated key=value words. Lists are the
// NUL-terminated entries concatenated, in unpadded URL-safe base64
// (RFC 4648 §5), so no byte of an argument can break the word structure.
func (c Cmdline) String() string {
	words := []string{"gobi.argv=" + encodeList(c.Argv)}
	if len(c.Env) > 0 {
		words = append(words, "gobi.env="+encodeList(c.Env))
	}
	if c.Cwd != "" {
		words = append(words, "gobi.cwd="+base64.RawURLEncoding.EncodeToString([]byte(c.Cwd)))
	}
	if c.TSCKHz != 0 {
		words = append(words, "gobi.tsc_khz="+strconv.FormatUint(c.TSCKHz, 10))
	}
	if c.Debug {
		words = append(words, "gobi.debug=1")
	}
	words = append(words, c.Net...)
	return strings.Join(words, " ")
}

func encodeList(list []string) string {
	var b strings.Builder
	for _, s := range list {
		b.WriteString(s)
		b.WriteByte(0)
	}
	return base64.RawURLEncoding.EncodeToString([]byte(b.String()))
}
