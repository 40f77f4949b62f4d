package vm

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
)

// recordMark starts a record line on the kernel channel; any other line is a
// kernel message (docs/hostabi.md, "The kernel channel").
const recordMark = 0x01

// maxLine caps one kernel channel line: the guest writes them, and a
// runaway writer must not grow the host's memory without bound. Longer lines
// are printed in pieces.
const maxLine = 64 << 10

// outcome is how the guest ended, as its exit record said.
type outcome int

const (
	outcomeNone  outcome = iota // no record: QEMU died or was killed
	outcomeExit                 // \x01exit N
	outcomeFault                // \x01fault
	outcomeOOM                  // \x01oom
)

// channel is the host end of COM3.
type channel struct {
	w     io.Writer // to the guest
	image string    // the image file, whose symbols name a kernel fault's stack

	// ready is closed by the guest's ready record: its UARTs are set up, so
	// bytes sent to it from then on are not lost (before that, enabling
	// the FIFOs discards what QEMU holds).
	ready     chan struct{}
	readyOnce sync.Once

	writeMu sync.Mutex // serializes records sent to the guest

	mu      sync.Mutex // guards the fields below
	outcome outcome
	status  int
}

func newChannel(w io.Writer) *channel { return &channel{w: w, ready: make(chan struct{})} }

// markReady closes ready once.
func (c *channel) markReady() { c.readyOnce.Do(func() { close(c.ready) }) }

// send writes one host→guest record, e.g. "sig 15"; before the guest is
// ready it is sent in the background once it is, so a caller (the
// supervisor's timeout) never waits on the guest.
func (c *channel) send(record string) error {
	select {
	case <-c.ready:
		return c.write(record)
	default:
		go func() {
			<-c.ready
			c.write(record)
		}()
		return nil
	}
}

func (c *channel) write(record string) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	_, err := fmt.Fprintf(c.w, "%c%s\n", recordMark, record)
	return err
}

// read consumes guest→host lines from r until EOF, printing kernel messages
// to console as "gobi: <line>" and remembering the exit record.
func (c *channel) read(r io.Reader, console io.Writer) error {
	br := bufio.NewReaderSize(r, maxLine)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			line = bytes.TrimSuffix(line, []byte("\n"))
			if line[0] == recordMark {
				if perr := c.record(string(line[1:])); perr != nil {
					fmt.Fprintf(console, "gobi: %v\n", perr)
				}
			} else {
				fmt.Fprintf(console, "gobi: %s\n", line)
				if rest, ok := bytes.CutPrefix(line, []byte("kernel stack: ")); ok {
					c.printStack(console, string(rest))
				}
			}
		}
		switch {
		case err == nil || errors.Is(err, bufio.ErrBufferFull):
		case err == io.EOF:
			c.markReady() // the guest is gone: nothing waits for it any more
			return nil
		default:
			c.markReady()
			return err
		}
	}
}

// printStack names the addresses of a kernel fault report's stack line
// from the image's symbols, one frame a line, innermost first.
func (c *channel) printStack(console io.Writer, addrs string) {
	if c.image == "" {
		return
	}
	t := loadSymbols(c.image)
	if t == nil {
		fmt.Fprintf(console, "gobi: (no symbols in %s to name the kernel's stack)\n", c.image)
		return
	}
	for _, f := range strings.Fields(addrs) {
		a, err := strconv.ParseUint(strings.TrimPrefix(f, "0x"), 16, 64)
		if err != nil {
			continue
		}
		fmt.Fprintf(console, "gobi:   %s %s\n", f, t.name(a))
	}
}

// record applies one guest→host record.
func (c *channel) record(rec string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case rec == "ready":
		c.markReady()
	case rec == "fault":
		c.outcome = outcomeFault
	case rec == "oom":
		c.outcome = outcomeOOM
	case len(rec) > len("exit ") && rec[:len("exit ")] == "exit ":
		n, err := strconv.Atoi(rec[len("exit "):])
		if err != nil || n < 0 || n > 255 {
			return fmt.Errorf("bad exit record %q from the guest kernel", rec)
		}
		c.outcome, c.status = outcomeExit, n
	default:
		return fmt.Errorf("unknown record %q from the guest kernel", rec)
	}
	return nil
}

// result returns what the guest reported.
func (c *channel) result() (outcome, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.outcome, c.status
}
