package store

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
)

// Value is what a key holds: a type name and the type's payload.
//
// Encoding in the Git blob (documented for other readers in docs/store.md):
// a value of type "bytes" is the blob's raw bytes, so stock git prints it;
// any other type is the magic prefix "\x00gobi:", the type name, a newline,
// then the payload. A bytes value that itself begins with the magic prefix
// is written in the typed form ("\x00gobi:bytes\n" + data) so that decoding
// is never ambiguous.
type Value struct {
	Type string // registered type name; "bytes" for plain bytes and strings
	Data []byte // the payload, in the type's format
}

// TypeBytes is the type of plain bytes and strings.
const TypeBytes = "bytes"

var typedMagic = []byte("\x00gobi:")

// maxTypeName caps the type name read from a blob, which may come from any
// replica, so a corrupt header cannot make the decoder scan a huge blob.
const maxTypeName = 64

// Bytes returns a plain bytes value.
func Bytes(b []byte) Value { return Value{Type: TypeBytes, Data: b} }

// String returns a plain bytes value holding s.
func String(s string) Value { return Value{Type: TypeBytes, Data: []byte(s)} }

// Equal reports whether v and w have the same type and payload.
func (v Value) Equal(w Value) bool { return v.Type == w.Type && bytes.Equal(v.Data, w.Data) }

// Encode returns the blob bytes that store v.
func (v Value) Encode() []byte {
	if v.Type == TypeBytes && !bytes.HasPrefix(v.Data, typedMagic) {
		return v.Data
	}
	b := make([]byte, 0, len(typedMagic)+len(v.Type)+1+len(v.Data))
	b = append(b, typedMagic...)
	b = append(b, v.Type...)
	b = append(b, '\n')
	return append(b, v.Data...)
}

// DecodeValue decodes blob bytes written by Encode (or by any Git user: a
// blob without the magic prefix is plain bytes). The payload of a typed
// value is checked by its type's Validate; an unregistered type is an error.
// The returned Value shares memory with blob.
func DecodeValue(blob []byte) (Value, error) {
	rest, ok := bytes.CutPrefix(blob, typedMagic)
	if !ok {
		return Bytes(blob), nil
	}
	head := rest[:min(len(rest), maxTypeName+1)]
	nl := bytes.IndexByte(head, '\n')
	if nl < 0 {
		return Value{}, errors.New("typed value: missing or overlong type name")
	}
	name, payload := string(rest[:nl]), rest[nl+1:]
	t, ok := LookupType(name)
	if !ok {
		return Value{}, fmt.Errorf("typed value: unknown type %q: register it with store.Register", name)
	}
	if t.Validate != nil {
		if err := t.Validate(payload); err != nil {
			return Value{}, fmt.Errorf("typed value of type %s: %w", name, err)
		}
	}
	return Value{Type: name, Data: payload}, nil
}

// Type is a value type and its three-way merge.
type Type struct {
	// Name identifies the type in the encoding: 1 to 64 characters from
	// [a-z0-9._-].
	Name string
	// Merge merges two payloads that both changed from base. base is nil if
	// the key was absent in the merge base. A returned error is reported as
	// a Conflict whose Reason is the error text.
	Merge func(base, ours, theirs []byte) ([]byte, error)
	// Validate checks a payload decoded from storage; nil accepts anything.
	Validate func(payload []byte) error
}

var (
	typesMu sync.RWMutex
	types   = map[string]Type{}
)

// Register adds a user value type. Registering a name twice is an error.
func Register(t Type) error {
	if err := checkTypeName(t.Name); err != nil {
		return err
	}
	if t.Merge == nil {
		return fmt.Errorf("registering type %s: Merge is nil", t.Name)
	}
	typesMu.Lock()
	defer typesMu.Unlock()
	if _, dup := types[t.Name]; dup {
		return fmt.Errorf("registering type %s: already registered", t.Name)
	}
	types[t.Name] = t
	return nil
}

// LookupType returns the registered type called name.
func LookupType(name string) (Type, bool) {
	typesMu.RLock()
	defer typesMu.RUnlock()
	t, ok := types[name]
	return t, ok
}

func checkTypeName(name string) error {
	if name == "" || len(name) > maxTypeName {
		return fmt.Errorf("type name %q: want 1 to %d characters", name, maxTypeName)
	}
	for _, c := range []byte(name) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("type name %q: only [a-z0-9._-] allowed", name)
		}
	}
	return nil
}

// mergeValues is the three-way merge of one key present on both sides; base
// is nil when the key was absent in the merge base.
func mergeValues(base *Value, ours, theirs Value) (Value, error) {
	switch {
	case ours.Equal(theirs):
		return ours, nil
	case base != nil && base.Equal(ours):
		return theirs, nil
	case base != nil && base.Equal(theirs):
		return ours, nil
	case ours.Type != theirs.Type:
		return Value{}, fmt.Errorf("type changed: %s on ours, %s on theirs", ours.Type, theirs.Type)
	}
	t, ok := LookupType(ours.Type)
	if !ok {
		return Value{}, fmt.Errorf("unknown type %s", ours.Type)
	}
	var b []byte
	if base != nil && base.Type == ours.Type {
		b = base.Data
		if b == nil {
			b = []byte{}
		}
	}
	m, err := t.Merge(b, ours.Data, theirs.Data)
	if err != nil {
		return Value{}, err
	}
	return Value{Type: ours.Type, Data: m}, nil
}
