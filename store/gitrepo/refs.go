package gitrepo

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/gobi-os/gobi/store/backend"
)

// packedCache is the parsed packed-refs file, reused while the file's
// size, modification time and inode are unchanged.
type packedCache struct {
	stamp string
	refs  map[string]backend.Hash
}

func checkRefName(name string) error {
	if !strings.HasPrefix(name, "refs/") || strings.Contains(name, "..") || strings.HasSuffix(name, ".lock") || strings.ContainsAny(name, "\x00\\ ~^:?*[") {
		return fmt.Errorf("invalid reference name %q", name)
	}
	return nil
}

func (r *Repo) refPath(name string) string { return filepath.Join(r.dir, filepath.FromSlash(name)) }

// readLooseRef reads a loose ref file; it reports found=false if absent.
func (r *Repo) readLooseRef(name string) (backend.Hash, bool, error) {
	data, err := os.ReadFile(r.refPath(name))
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.EISDIR) || errors.Is(err, syscall.ENOTDIR) {
		return backend.Hash{}, false, nil
	}
	if err != nil {
		return backend.Hash{}, false, err
	}
	s := strings.TrimSpace(string(data))
	if target, ok := strings.CutPrefix(s, "ref: "); ok {
		h, err := r.Ref(target)
		return h, err == nil, nil
	}
	h, err := backend.ParseHash(s)
	if err != nil {
		return backend.Hash{}, false, fmt.Errorf("reference %s: %w", name, err)
	}
	return h, true, nil
}

// packedRefs returns the refs in packed-refs (gitrepository-layout), read
// again only when the file changed.
func (r *Repo) packedRefs() (map[string]backend.Hash, error) {
	path := filepath.Join(r.dir, "packed-refs")
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	st, _ := fi.Sys().(*syscall.Stat_t)
	stamp := fmt.Sprint(fi.Size(), fi.ModTime().UnixNano(), st.Ino)
	r.packedMu.Lock()
	defer r.packedMu.Unlock()
	if r.packed.stamp == stamp {
		return r.packed.refs, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	refs := map[string]backend.Hash{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' || line[0] == '^' {
			continue // header, or the peeled value of the tag above
		}
		hex, name, ok := strings.Cut(line, " ")
		h, err := backend.ParseHash(hex)
		if !ok || err != nil {
			return nil, fmt.Errorf("packed-refs: malformed line %q", line)
		}
		refs[name] = h
	}
	r.packed = packedCache{stamp: stamp, refs: refs}
	return refs, nil
}

// Ref implements backend.Storage.
func (r *Repo) Ref(name string) (backend.Hash, error) {
	if name == "HEAD" {
		target, err := r.SymbolicRef("HEAD")
		if err != nil {
			return backend.Hash{}, err
		}
		name = target
	}
	if err := checkRefName(name); err != nil {
		return backend.Hash{}, err
	}
	h, ok, err := r.readLooseRef(name)
	if err != nil || ok {
		return h, err
	}
	packed, err := r.packedRefs()
	if err != nil {
		return backend.Hash{}, err
	}
	if h, ok := packed[name]; ok {
		return h, nil
	}
	return backend.Hash{}, fmt.Errorf("reference %s: %w", name, backend.ErrNotFound)
}

// Refs implements backend.Storage: loose refs override packed ones.
func (r *Repo) Refs(prefix string) ([]backend.Ref, error) {
	all := map[string]backend.Hash{}
	packed, err := r.packedRefs()
	if err != nil {
		return nil, err
	}
	for n, h := range packed {
		if strings.HasPrefix(n, prefix) {
			all[n] = h
		}
	}
	root := filepath.Join(r.dir, "refs")
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed while walking
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(r.dir, path)
		name := filepath.ToSlash(rel)
		if !strings.HasPrefix(name, prefix) || strings.HasSuffix(name, ".lock") || checkRefName(name) != nil {
			return nil
		}
		h, ok, err := r.readLooseRef(name)
		if err != nil {
			return err
		}
		if ok {
			all[name] = h
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]backend.Ref, 0, len(all))
	for n, h := range all {
		out = append(out, backend.Ref{Name: n, Hash: h})
	}
	slices.SortFunc(out, func(a, b backend.Ref) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// SymbolicRef implements backend.Storage.
func (r *Repo) SymbolicRef(name string) (string, error) {
	data, err := os.ReadFile(filepath.Join(r.dir, filepath.FromSlash(name)))
	if err != nil {
		return "", fmt.Errorf("symbolic reference %s: %w", name, backend.ErrNotFound)
	}
	target, ok := strings.CutPrefix(strings.TrimSpace(string(data)), "ref: ")
	if !ok {
		return "", fmt.Errorf("reference %s is not symbolic", name)
	}
	return target, nil
}

// staleLock is how old a leftover "<ref>.lock" must be before a writer
// holding gobi.lock removes it. Gobi writers hold both locks, so a lock
// file seen under gobi.lock was left by a killed writer or belongs to a git
// process, which holds it only for milliseconds.
const staleLock = 2 * time.Second

// CompareAndSwapRef implements backend.Storage with git's lock-file
// protocol: create "<ref>.lock" exclusively, check the current value,
// write and fsync the new one, rename over the ref. gobi.lock (flock)
// serializes gobi writers across processes and is released by the kernel
// if the holder dies.
func (r *Repo) CompareAndSwapRef(name string, old, new backend.Hash) error {
	if err := checkRefName(name); err != nil {
		return err
	}
	unlock, err := r.flock()
	if err != nil {
		return err
	}
	defer unlock()
	path := r.refPath(name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("reference %s: %w", name, err)
	}
	lock, err := r.createLock(path + ".lock")
	if err != nil {
		return fmt.Errorf("reference %s: %w", name, err)
	}
	lockPath := lock.Name()
	defer os.Remove(lockPath) // no-op after the rename
	defer lock.Close()
	cur, err := r.Ref(name)
	if errors.Is(err, backend.ErrNotFound) {
		cur, err = backend.Hash{}, nil
	}
	if err != nil {
		return err
	}
	if cur != old {
		return fmt.Errorf("reference %s is at %s, expected %s: %w", name, cur, old, backend.ErrRefChanged)
	}
	if new.IsZero() {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return r.removePacked(name)
	}
	if _, err := lock.WriteString(new.String() + "\n"); err != nil {
		return err
	}
	if !r.opts.NoSync {
		if err := lock.Sync(); err != nil {
			return err
		}
	}
	if err := lock.Close(); err != nil {
		return err
	}
	if err := os.Rename(lockPath, path); err != nil {
		return fmt.Errorf("reference %s: %w", name, err)
	}
	return nil
}

// createLock creates a lock file exclusively, waiting out a git process
// that holds it and removing one left by a killed writer.
func (r *Repo) createLock(path string) (*os.File, error) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		if fi, err := os.Stat(path); err == nil && time.Since(fi.ModTime()) > staleLock {
			os.Remove(path)
			continue
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%s is held: if no git process is running, remove it", path)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// flock takes the repository-wide writer lock.
func (r *Repo) flock() (func(), error) {
	return flockFile(filepath.Join(r.dir, "gobi.lock"))
}

// LockRef implements backend.RefLocker with an flock on a file under
// gobi-locks/, one per reference ('/' escaped as %2F so names stay flat).
func (r *Repo) LockRef(name string) (func(), error) {
	if err := checkRefName(name); err != nil {
		return nil, err
	}
	dir := filepath.Join(r.dir, "gobi-locks")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return flockFile(filepath.Join(dir, strings.ReplaceAll(strings.ReplaceAll(name, "%", "%25"), "/", "%2F")))
}

// flockFile takes an exclusive flock on path, creating it if needed.
func flockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	return func() { f.Close() }, nil // closing drops the flock
}

// removePacked deletes name from packed-refs, under packed-refs.lock.
func (r *Repo) removePacked(name string) error {
	packed, err := r.packedRefs()
	if err != nil {
		return err
	}
	if _, ok := packed[name]; !ok {
		return nil
	}
	path := filepath.Join(r.dir, "packed-refs")
	lock, err := r.createLock(path + ".lock")
	if err != nil {
		return err
	}
	defer os.Remove(lock.Name())
	defer lock.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	skipPeeled := false
	for line := range strings.SplitSeq(strings.TrimSuffix(string(data), "\n"), "\n") {
		if strings.HasPrefix(line, "^") && skipPeeled {
			continue
		}
		_, n, _ := strings.Cut(line, " ")
		skipPeeled = n == name
		if skipPeeled {
			continue
		}
		out.WriteString(line + "\n")
	}
	if _, err := lock.Write(out.Bytes()); err != nil {
		return err
	}
	if !r.opts.NoSync {
		if err := lock.Sync(); err != nil {
			return err
		}
	}
	return os.Rename(lock.Name(), path)
}
