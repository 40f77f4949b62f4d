package kernel

// The kernel command line (docs/hostabi.md): space-separated key=value words.
// gobi.argv, gobi.env and gobi.cwd are NUL-terminated lists in unpadded
// base64url, so any byte can pass through QEMU's -append.

const (
	maxArgBytes = 1 << 17
	maxCmdline  = 65536
)

var (
	cmdline    [maxCmdline]byte // from hvm_start_info, or the launcher's boot pipe in the sandbox
	cmdlineLen int
	argBuf     [maxArgBytes]byte // argv then envp strings, each NUL-terminated
	argLen     int
	argc       int
	envc       int
	envOff     int // where the environment starts in argBuf
	cwdBuf     [4096]byte
	cwdLen     int
	tscKHz     uint64
	debug      bool
	argvSet    bool
	strict     bool // gobi.strict=1, sandbox only: forbidden calls kill the process
)

func parseCmdline() {
	var argv, env, cwd []byte
	s := cmdline[:cmdlineLen]
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] != ' ' {
			i++
		}
		w := s[:i]
		if i < len(s) {
			s = s[i+1:]
		} else {
			s = s[i:]
		}
		switch {
		case hasPrefix(w, "gobi.argv="):
			argv = w[len("gobi.argv="):]
			argvSet = true
		case hasPrefix(w, "gobi.env="):
			env = w[len("gobi.env="):]
		case hasPrefix(w, "gobi.cwd="):
			cwd = w[len("gobi.cwd="):]
		case hasPrefix(w, "gobi.tsc_khz="):
			tscKHz = atou(w[len("gobi.tsc_khz="):])
		case hasPrefix(w, "gobi.debug="):
			debug = len(w) > len("gobi.debug=") && w[len("gobi.debug=")] == '1'
		case hasPrefix(w, "gobi.strict="):
			strict = len(w) > len("gobi.strict=") && w[len("gobi.strict=")] == '1'
		}
	}
	n, ok := b64decode(argBuf[:], argv)
	if !ok {
		bootError("boot: gobi.argv is not valid unpadded base64url")
	}
	argc = countNUL(argBuf[:n])
	if argc == 0 { // argv[0] must exist
		argBuf[0], argBuf[1], argBuf[2], argBuf[3], argBuf[4] = 'g', 'o', 'b', 'i', 0
		n, argc = 5, 1
	}
	envOff = n
	m, ok := b64decode(argBuf[n:], env)
	if !ok {
		bootError("boot: gobi.env is not valid unpadded base64url")
	}
	envc = countNUL(argBuf[n : n+m])
	argLen = n + m
	c, ok := b64decode(cwdBuf[:len(cwdBuf)-1], cwd)
	if !ok || (c > 0 && cwdBuf[0] != '/') {
		bootError("boot: gobi.cwd is not an absolute path in unpadded base64url")
	}
	for c > 1 && cwdBuf[c-1] == 0 {
		c--
	}
	if c == 0 {
		cwdBuf[0] = '/'
		c = 1
	}
	cwdLen = c
}

// bootError reports a malformed command line: the host exits 125.
func bootError(msg string) {
	klog(msg)
	record("exit", 125, true)
	powerOff()
}

func hasPrefix(b []byte, p string) bool {
	if len(b) < len(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		if b[i] != p[i] {
			return false
		}
	}
	return true
}

func atou(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0
		}
		v = v*10 + uint64(c-'0')
	}
	return v
}

func countNUL(b []byte) int {
	n := 0
	for _, c := range b {
		if c == 0 {
			n++
		}
	}
	return n
}

// b64decode decodes unpadded base64url (RFC 4648 §5) into dst.
func b64decode(dst, src []byte) (int, bool) {
	var acc uint32
	bits, n := 0, 0
	for _, c := range src {
		var v uint32
		switch {
		case c >= 'A' && c <= 'Z':
			v = uint32(c - 'A')
		case c >= 'a' && c <= 'z':
			v = uint32(c-'a') + 26
		case c >= '0' && c <= '9':
			v = uint32(c-'0') + 52
		case c == '-':
			v = 62
		case c == '_':
			v = 63
		default:
			return 0, false
		}
		acc = acc<<6 | v
		bits += 6
		if bits >= 8 {
			bits -= 8
			if n >= len(dst) {
				return 0, false
			}
			dst[n] = byte(acc >> uint(bits))
			n++
		}
	}
	return n, bits < 6
}
