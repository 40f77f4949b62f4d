package vm

import (
	"bufio"
	"io"
)

// Escape bytes of the stdin stream on COM1 (docs/hostabi.md, "stdin
// escaping"): a serial line has no end-of-file, so 0xff introduces an
// escape. ff ff is a literal 0xff; ff 00 is end of file.
const (
	escByte = 0xff
	escEOF  = 0x00
)

// copyStdin copies src to dst with 0xff doubled, then writes the end-of-file
// escape once src reports io.EOF. Bytes are forwarded as soon as they are
// read, so an interactive guest sees each line as it is typed.
func copyStdin(dst io.Writer, src io.Reader) error {
	w := bufio.NewWriter(dst)
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		for _, c := range buf[:n] {
			w.WriteByte(c)
			if c == escByte {
				w.WriteByte(escByte)
			}
		}
		if n > 0 {
			if ferr := w.Flush(); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			w.Write([]byte{escByte, escEOF})
			return w.Flush()
		}
		if err != nil {
			return err
		}
	}
}
