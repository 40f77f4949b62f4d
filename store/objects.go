package store

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gobi-os/gobi/store/backend"
)

// Git tree entry modes (gitformat: tree objects). The store writes
// modeFile and modeDir; it reads the others from trees made by stock git.
const (
	modeDir     = 0o40000
	modeFile    = 0o100644
	modeExec    = 0o100755
	modeSymlink = 0o120000
	modeGitlink = 0o160000
)

// treeEntry is one entry of a Git tree object.
type treeEntry struct {
	name string
	mode uint32
	hash Hash
}

func (e treeEntry) isDir() bool { return e.mode == modeDir }

// isValue reports whether a tree entry is a blob the store reads as a value.
func isValue(mode uint32) bool {
	return mode == modeFile || mode == modeExec || mode == modeSymlink
}

// compareNames orders tree entries as Git does: by name bytes, a directory
// comparing as if its name ended in '/'.
func compareNames(a string, aDir bool, b string, bDir bool) int {
	n := min(len(a), len(b))
	if c := strings.Compare(a[:n], b[:n]); c != 0 {
		return c
	}
	next := func(s string, dir bool) int {
		if len(s) > n {
			return int(s[n])
		}
		if dir {
			return '/'
		}
		return 0
	}
	return next(a, aDir) - next(b, bDir)
}

// maxTreeEntries caps the entries parsed from one tree object, which may
// come from any replica; each entry needs at least 23 bytes, so this only
// bounds pathological inputs.
const maxTreeEntries = 1 << 26

// parseTree decodes a Git tree object: entries "<octal mode> <name>\x00<hash>".
// It runs on every tree a merge or lookup reads, so it parses by hand.
func parseTree(raw []byte) ([]treeEntry, error) {
	out := make([]treeEntry, 0, len(raw)/40)
	// One string holds every name: entries slice it rather than
	// allocating a string each.
	str := string(raw)
	for at := 0; at < len(str); {
		if len(out) >= maxTreeEntries {
			return nil, errors.New("tree: too many entries")
		}
		var mode uint32
		i := at
		for ; i < len(str) && str[i] != ' '; i++ {
			c := str[i]
			if c < '0' || c > '7' || i-at >= 7 {
				return nil, errors.New("tree: malformed mode")
			}
			mode = mode<<3 | uint32(c-'0')
		}
		if i == at || i == len(str) {
			return nil, errors.New("tree: malformed mode")
		}
		nameAt := i + 1
		nul := strings.IndexByte(str[nameAt:], 0)
		if nul <= 0 || len(str) < nameAt+nul+1+backend.HashSize {
			return nil, errors.New("tree: truncated entry")
		}
		e := treeEntry{name: str[nameAt : nameAt+nul], mode: mode}
		if err := checkName(e.name); err != nil {
			return nil, fmt.Errorf("tree: %w", err)
		}
		at = nameAt + nul + 1
		copy(e.hash[:], str[at:at+backend.HashSize])
		at += backend.HashSize
		if n := len(out); n > 0 && compareNames(out[n-1].name, out[n-1].isDir(), e.name, e.isDir()) >= 0 {
			return nil, fmt.Errorf("tree: entries out of order at %q", e.name)
		}
		out = append(out, e)
	}
	return out, nil
}

// encodeTree encodes sorted entries as a Git tree object.
func encodeTree(entries []treeEntry) []byte {
	b := make([]byte, 0, len(entries)*(32+backend.HashSize))
	for _, e := range entries {
		b = strconv.AppendUint(b, uint64(e.mode), 8)
		b = append(b, ' ')
		b = append(b, e.name...)
		b = append(b, 0)
		b = append(b, e.hash[:]...)
	}
	return b
}

// findEntry returns the entry called name in sorted entries.
func findEntry(entries []treeEntry, name string) (treeEntry, bool) {
	// The entry sorts either as a file or as a directory; try both spots.
	for _, dir := range []bool{false, true} {
		i, found := slices.BinarySearchFunc(entries, name, func(e treeEntry, n string) int {
			return compareNames(e.name, e.isDir(), n, dir)
		})
		if found && entries[i].isDir() == dir {
			return entries[i], true
		}
	}
	return treeEntry{}, false
}

// checkName checks one path segment of a key or tree entry name; Git's
// fsck rejects empty names, '/', ".", ".." and ".git" (any case).
func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("empty path segment")
	case name[0] == '.' && (name == "." || name == ".." || strings.EqualFold(name, ".git")):
		return fmt.Errorf("path segment %q is reserved by Git", name)
	}
	for i := 0; i < len(name); i++ {
		if name[i] == '/' || name[i] == 0 {
			return fmt.Errorf("path segment %q contains '/' or NUL", name)
		}
	}
	return nil
}

// splitKey splits and checks a '/'-separated key.
func splitKey(key string) ([]string, error) {
	parts := strings.Split(key, "/")
	for _, p := range parts {
		if err := checkName(p); err != nil {
			return nil, fmt.Errorf("key %q: %w", key, err)
		}
	}
	return parts, nil
}

// Signature names who made a commit and when.
type Signature struct {
	Name  string
	Email string
	When  time.Time
}

// Commit is a decoded Git commit.
type Commit struct {
	Hash      Hash
	Tree      Hash
	Parents   []Hash
	Author    Signature
	Committer Signature
	Message   string
}

// maxParents caps the parents read from one commit (an octopus merge of
// more is implausible and would only serve to slow history walks).
const maxParents = 1 << 10

// parseCommit decodes a Git commit object (gitformat: commit objects).
func parseCommit(h Hash, data []byte) (*Commit, error) {
	c := &Commit{Hash: h}
	head, msg, ok := bytes.Cut(data, []byte("\n\n"))
	if !ok {
		head, msg = bytes.TrimSuffix(data, []byte("\n")), nil
	}
	c.Message = string(msg)
	seenTree := false
	for line := range strings.SplitSeq(string(head), "\n") {
		key, val, _ := strings.Cut(line, " ")
		var err error
		switch key {
		case "tree":
			if seenTree {
				return nil, fmt.Errorf("commit %s: two tree lines", h)
			}
			c.Tree, err = backend.ParseHash(val)
			seenTree = true
		case "parent":
			if len(c.Parents) >= maxParents {
				return nil, fmt.Errorf("commit %s: too many parents", h)
			}
			var p Hash
			p, err = backend.ParseHash(val)
			c.Parents = append(c.Parents, p)
		case "author":
			c.Author, err = parseSignature(val)
		case "committer":
			c.Committer, err = parseSignature(val)
		}
		if err != nil {
			return nil, fmt.Errorf("commit %s: %w", h, err)
		}
	}
	if !seenTree {
		return nil, fmt.Errorf("commit %s: no tree", h)
	}
	return c, nil
}

// parseSignature decodes "Name <email> 1700000000 +0100".
func parseSignature(s string) (Signature, error) {
	lt, gt := strings.IndexByte(s, '<'), strings.LastIndexByte(s, '>')
	if lt < 0 || gt < lt {
		return Signature{}, fmt.Errorf("malformed signature %q", s)
	}
	sig := Signature{Name: strings.TrimSpace(s[:lt]), Email: s[lt+1 : gt]}
	f := strings.Fields(s[gt+1:])
	if len(f) != 2 {
		return sig, nil // git tolerates a missing date; so do we
	}
	sec, err1 := strconv.ParseInt(f[0], 10, 64)
	tz, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil {
		return sig, nil
	}
	off := (tz/100*60 + tz%100) * 60
	sig.When = time.Unix(sec, 0).In(time.FixedZone("", off))
	return sig, nil
}

// encodeCommit encodes a commit object; the Hash field is ignored.
func encodeCommit(c *Commit) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "tree %s\n", c.Tree)
	for _, p := range c.Parents {
		fmt.Fprintf(&b, "parent %s\n", p)
	}
	fmt.Fprintf(&b, "author %s\ncommitter %s\n\n", formatSignature(c.Author), formatSignature(c.Committer))
	b.WriteString(c.Message)
	return b.Bytes()
}

func formatSignature(s Signature) string {
	_, off := s.When.Zone()
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("%s <%s> %d %c%02d%02d", sanitize(s.Name), sanitize(s.Email), s.When.Unix(), sign, off/3600, off/60%60)
}

// sanitize removes the characters that would break a signature line.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '<' || r == '>' || r == '\n' || r == 0 {
			return -1
		}
		return r
	}, strings.TrimSpace(s))
}
