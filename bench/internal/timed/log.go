package timed

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"time"
)

// Stream names the host stream a line arrived on.
type Stream int

// The streams of a guest.
const (
	Stdout Stream = iota
	Stderr
)

// Line is one line of a guest's output.
type Line struct {
	Stream Stream
	Text   string        // without the line ending
	At     time.Duration // since the log's start, when its first byte arrived
}

// maxOutput caps the output a Log keeps: a guest that floods its console
// must not exhaust the benchmark's memory.
const maxOutput = 4 << 20

// ErrEnded reports that the log ended before the awaited line.
var ErrEnded = errors.New("guest exited")

// Log collects a guest's output lines, stamped with the time since Start.
// Its writers may be used concurrently.
type Log struct {
	start time.Time

	mu      sync.Mutex
	lines   []Line
	kept    int
	ended   bool
	changed chan struct{} // closed and replaced whenever lines grow or the log ends
}

// NewLog returns a log whose clock starts now.
func NewLog() *Log {
	return &Log{start: time.Now(), changed: make(chan struct{})}
}

// Since returns the time elapsed since the log started.
func (l *Log) Since() time.Duration {
	return time.Since(l.start)
}

// Writer returns a writer that splits what is written into lines of stream
// s. Each writer keeps its own partial line, so it must be used by one
// goroutine at a time; give each source its own writer.
func (l *Log) Writer(s Stream) io.Writer {
	return &lineWriter{log: l, stream: s}
}

// lineWriter splits one stream into lines, stamping each with the time its
// first byte was written.
type lineWriter struct {
	log    *Log
	stream Stream
	cur    []byte
	at     time.Duration
}

func (w *lineWriter) Write(p []byte) (int, error) {
	now := w.log.Since()
	for _, b := range p {
		if len(w.cur) == 0 {
			w.at = now
		}
		if b == '\n' {
			w.log.add(Line{Stream: w.stream, Text: string(w.cur), At: w.at})
			w.cur = w.cur[:0]
			continue
		}
		w.cur = append(w.cur, b)
	}
	return len(p), nil
}

// flush records a final line that has no newline.
func (w *lineWriter) flush() {
	if len(w.cur) > 0 {
		w.log.add(Line{Stream: w.stream, Text: string(w.cur), At: w.at})
		w.cur = nil
	}
}

// add records a line and wakes waiters.
func (l *Log) add(line Line) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.kept+len(line.Text) > maxOutput {
		return
	}
	l.kept += len(line.Text)
	line.Text = strings.TrimRight(line.Text, "\r") // serial consoles end lines with \r\n
	l.lines = append(l.lines, line)
	close(l.changed)
	l.changed = make(chan struct{})
}

// End flushes unterminated lines of the given writers and marks the log
// complete, waking waiters.
func (l *Log) End(writers ...io.Writer) {
	for _, w := range writers {
		if lw, ok := w.(*lineWriter); ok {
			lw.flush()
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.ended {
		l.ended = true
		close(l.changed)
	}
}

// Lines returns the lines recorded so far.
func (l *Log) Lines() []Line {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Line(nil), l.lines...)
}

// Text returns the lines recorded so far, joined with newlines.
func (l *Log) Text() string {
	var b strings.Builder
	for _, line := range l.Lines() {
		b.WriteString(line.Text)
		b.WriteByte('\n')
	}
	return b.String()
}

// First returns the first line satisfying match, if any.
func (l *Log) First(match func(Line) bool) (Line, bool) {
	for _, line := range l.Lines() {
		if match(line) {
			return line, true
		}
	}
	return Line{}, false
}

// Count returns how many lines satisfy match.
func (l *Log) Count(match func(Line) bool) int {
	n := 0
	for _, line := range l.Lines() {
		if match(line) {
			n++
		}
	}
	return n
}

// Wait waits until a line satisfying match has been recorded and returns
// it; ErrEnded if the log ends first.
func (l *Log) Wait(ctx context.Context, match func(Line) bool) (Line, error) {
	seen := 0
	for {
		l.mu.Lock()
		lines, changed, ended := l.lines, l.changed, l.ended
		l.mu.Unlock()
		for ; seen < len(lines); seen++ {
			if match(lines[seen]) {
				return lines[seen], nil
			}
		}
		if ended {
			return Line{}, ErrEnded
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return Line{}, ctx.Err()
		}
	}
}
