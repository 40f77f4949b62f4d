// Package backend defines the object and reference storage beneath the store:
// a content-addressed database of Git objects (blobs, trees, commits, tags)
// named by SHA-1, plus a set of named references updated by compare-and-swap.
// It holds the contract every backend honours (Storage), the value types it
// speaks in, and an in-memory implementation. The on-disk Git repository
// implementation lives in the sibling package gitrepo; a block-device backend
// can plug in later by implementing Storage.
//
// Object encodings follow Git's object format (git-scm.com/docs/gitformat-*):
// the hash of an object is SHA-1 over "<type> <size>\x00<data>".
package backend

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
)

// HashSize is the length in bytes of an object name (SHA-1).
const HashSize = 20

// Hash is a Git object name: the SHA-1 of the object's header and data.
// The zero Hash names no object; ref operations use it to mean "absent".
type Hash [HashSize]byte

// ZeroHash is the zero Hash, meaning "no object".
var ZeroHash Hash

// String returns the 40-digit lower-case hex form of h.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether h is the zero Hash.
func (h Hash) IsZero() bool { return h == ZeroHash }

// ParseHash parses a 40-digit hex object name.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 2*HashSize {
		return h, fmt.Errorf("object name %q: want %d hex digits", s, 2*HashSize)
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return h, fmt.Errorf("object name %q: %w", s, err)
	}
	return h, nil
}

// ObjectType is a Git object type, numbered as in the pack format
// (gitformat-pack: OBJ_COMMIT=1, OBJ_TREE=2, OBJ_BLOB=3, OBJ_TAG=4).
type ObjectType int8

// The Git object types.
const (
	CommitObject ObjectType = 1
	TreeObject   ObjectType = 2
	BlobObject   ObjectType = 3
	TagObject    ObjectType = 4
)

// String returns the name Git uses in object headers ("blob", "tree", ...).
func (t ObjectType) String() string {
	switch t {
	case CommitObject:
		return "commit"
	case TreeObject:
		return "tree"
	case BlobObject:
		return "blob"
	case TagObject:
		return "tag"
	}
	return "type" + strconv.Itoa(int(t))
}

// ParseObjectType parses a Git object header type name.
func ParseObjectType(s string) (ObjectType, error) {
	switch s {
	case "commit":
		return CommitObject, nil
	case "tree":
		return TreeObject, nil
	case "blob":
		return BlobObject, nil
	case "tag":
		return TagObject, nil
	}
	return 0, fmt.Errorf("unknown object type %q", s)
}

// Object is one Git object: its type and its data without the header.
type Object struct {
	Type ObjectType
	Data []byte
}

// Hash returns the object's name: SHA-1 over "<type> <len>\x00<data>".
func (o Object) Hash() Hash {
	return HashObject(o.Type, o.Data)
}

// HashObject returns the name of an object of type t holding data.
func HashObject(t ObjectType, data []byte) Hash {
	h := sha1.New()
	h.Write(ObjectHeader(t, len(data)))
	h.Write(data)
	var out Hash
	h.Sum(out[:0])
	return out
}

// ObjectHeader returns the loose-object header "<type> <size>\x00".
func ObjectHeader(t ObjectType, size int) []byte {
	b := append([]byte(t.String()), ' ')
	b = strconv.AppendInt(b, int64(size), 10)
	return append(b, 0)
}

// Ref is a named reference and the object it points to.
type Ref struct {
	Name string // full name, e.g. "refs/heads/main"
	Hash Hash
}

// Errors returned by every Storage.
var (
	// ErrNotFound means the object or reference does not exist.
	ErrNotFound = errors.New("not found")
	// ErrRefChanged means a compare-and-swap found the reference at a value
	// other than the expected one; re-read it and retry.
	ErrRefChanged = errors.New("reference changed concurrently")
)

// Storage is the contract between the store and its backend.
//
// Safety: PutObjects returns only once every object is durable (on disk
// backends: written, fsynced and renamed into place), so a reference moved
// afterwards by CompareAndSwapRef never points at a missing object, even if
// the process is killed between the two calls. Implementations are safe for
// concurrent use by many goroutines; the Git directory backend is also safe
// for several processes sharing one repository.
//
// Callers must not modify the Data of an Object passed to PutObjects or
// returned by GetObject: implementations may keep and share it.
type Storage interface {
	// GetObject returns the object named h, or an error wrapping ErrNotFound.
	GetObject(h Hash) (Object, error)
	// HasObject reports whether the object named h is stored.
	HasObject(h Hash) (bool, error)
	// PutObjects stores objs durably; storing an object already present is
	// not an error. The names are computed from the objects' content.
	PutObjects(objs []Object) error

	// Ref returns the object a full reference name ("refs/heads/main")
	// points to, or an error wrapping ErrNotFound.
	Ref(name string) (Hash, error)
	// Refs lists the references whose full names start with prefix, sorted
	// by name.
	Refs(prefix string) ([]Ref, error)
	// CompareAndSwapRef atomically sets reference name to new if it
	// currently points to old. A zero old means the reference must not
	// exist; a zero new deletes it. A mismatch returns an error wrapping
	// ErrRefChanged.
	CompareAndSwapRef(name string, old, new Hash) error
	// SymbolicRef returns the target of a symbolic reference such as
	// "HEAD" (e.g. "refs/heads/main").
	SymbolicRef(name string) (string, error)

	// Refresh makes objects and references written by other processes or
	// by other code (for example a fetch into the same directory) visible.
	Refresh() error
	// Close releases resources. The Storage must not be used afterwards.
	Close() error
}

// RefLocker is implemented by storages that other processes share. LockRef
// blocks until the caller holds an advisory lock on reference name, so that
// writers doing read-modify-write cycles on one branch take turns instead
// of redoing work after losing compare-and-swap races. The lock is only
// advisory: CompareAndSwapRef stays the arbiter (git itself ignores it).
// It is released by unlock, or if the holder dies.
type RefLocker interface {
	LockRef(name string) (unlock func(), err error)
}

// PrefixFinder is implemented by storages that can list objects by a
// prefix of their hex names, so users may abbreviate hashes as in git.
type PrefixFinder interface {
	// FindPrefix returns up to limit objects whose hex names start with
	// prefix (at least 4 lower-case hex digits).
	FindPrefix(prefix string, limit int) ([]Hash, error)
}

// HashedPutter is implemented by storages that can skip hashing objects
// whose names the caller has just computed. PutHashed is PutObjects with
// hashes[i] the name of objs[i]; a wrong name corrupts the store, so only
// the store itself calls it, with names it computed from the same bytes.
type HashedPutter interface {
	PutHashed(objs []Object, hashes []Hash) error
}
