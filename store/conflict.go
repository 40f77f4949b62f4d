package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"

	"github.com/gobi-os/gobi/store/backend"
)

// Conflict is one key a merge could not decide: structured, so it can be
// listed, shown and resolved later on any replica.
type Conflict struct {
	Path   string // the key, or the directory, in conflict
	Reason string // why the values could not be merged
	// Base, Ours and Theirs are the versions of the key; nil means absent
	// or a directory (the Reason says which).
	Base, Ours, Theirs *Value
	// The commits merged: the merge base (zero if none), the branch merged
	// into, and the commit merged from.
	BaseCommit, OursCommit, TheirsCommit Hash
}

// conflictDir holds one pending-conflict record per conflicting key.
const conflictDir = reservedRoot + "/conflicts"

// maxConflictRecord caps the size of a conflict record decoded from
// storage: records come from any replica.
const maxConflictRecord = 256 << 20

// conflictKey returns the key of the record for path: one flat file per
// path, the path escaped so that '/' cannot nest records.
func conflictKey(path string) string { return conflictDir + "/" + url.PathEscape(path) }

// recordValue is a Value in a conflict record.
type recordValue struct {
	Type string `json:"type"`
	Data []byte `json:"data"` // base64 in JSON
}

// conflictRecord is the JSON document of a pending-conflict record,
// documented in docs/store.md.
type conflictRecord struct {
	Path         string       `json:"path"`
	Reason       string       `json:"reason"`
	Base         *recordValue `json:"base"`
	Ours         *recordValue `json:"ours"`
	Theirs       *recordValue `json:"theirs"`
	BaseCommit   string       `json:"base_commit,omitempty"`
	OursCommit   string       `json:"ours_commit"`
	TheirsCommit string       `json:"theirs_commit"`
}

func toRecord(v *Value) *recordValue {
	if v == nil {
		return nil
	}
	return &recordValue{Type: v.Type, Data: v.Data}
}

func fromRecord(r *recordValue) (*Value, error) {
	if r == nil {
		return nil, nil
	}
	if err := checkTypeName(r.Type); err != nil {
		return nil, err
	}
	return &Value{Type: r.Type, Data: r.Data}, nil
}

// EncodeConflict returns the record stored for c.
func EncodeConflict(c Conflict) []byte {
	r := conflictRecord{
		Path: c.Path, Reason: c.Reason,
		Base: toRecord(c.Base), Ours: toRecord(c.Ours), Theirs: toRecord(c.Theirs),
		OursCommit: c.OursCommit.String(), TheirsCommit: c.TheirsCommit.String(),
	}
	if !c.BaseCommit.IsZero() {
		r.BaseCommit = c.BaseCommit.String()
	}
	b, _ := json.MarshalIndent(r, "", "  ") // plain strings and bytes always marshal
	return append(b, '\n')
}

// DecodeConflict decodes a record written by EncodeConflict; records are
// untrusted (they sync from other replicas) and are checked field by field.
func DecodeConflict(data []byte) (Conflict, error) {
	if len(data) > maxConflictRecord {
		return Conflict{}, errors.New("conflict record: too large")
	}
	var r conflictRecord
	if err := json.Unmarshal(data, &r); err != nil {
		return Conflict{}, fmt.Errorf("conflict record: %w", err)
	}
	if _, err := splitKey(r.Path); err != nil {
		return Conflict{}, fmt.Errorf("conflict record: %w", err)
	}
	c := Conflict{Path: r.Path, Reason: r.Reason}
	var err error
	for _, f := range []struct {
		dst **Value
		src *recordValue
	}{{&c.Base, r.Base}, {&c.Ours, r.Ours}, {&c.Theirs, r.Theirs}} {
		if *f.dst, err = fromRecord(f.src); err != nil {
			return Conflict{}, fmt.Errorf("conflict record for %s: %w", r.Path, err)
		}
	}
	for _, f := range []struct {
		dst *Hash
		src string
	}{{&c.BaseCommit, r.BaseCommit}, {&c.OursCommit, r.OursCommit}, {&c.TheirsCommit, r.TheirsCommit}} {
		if f.src == "" {
			continue
		}
		if *f.dst, err = backend.ParseHash(f.src); err != nil {
			return Conflict{}, fmt.Errorf("conflict record for %s: %w", r.Path, err)
		}
	}
	return c, nil
}

// Conflicts returns the pending conflicts recorded in the tree at rev.
func (s *Store) Conflicts(rev string) ([]Conflict, error) {
	t, err := s.Snapshot(rev)
	if err != nil {
		return nil, err
	}
	return t.Conflicts()
}

// Conflicts returns the pending-conflict records in t, ordered by record
// name.
func (t *Tree) Conflicts() ([]Conflict, error) {
	var out []Conflict
	err := t.Walk(conflictDir, func(key string, v Value) error {
		c, err := DecodeConflict(v.Data)
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		out = append(out, c)
		return nil
	})
	return out, err
}

// ResolveConflict resolves the pending conflict on path in branch: it sets
// path to v (nil removes the key) and deletes the record, in one commit.
// It fails with an error wrapping ErrNotFound if no conflict is pending
// on path.
func (s *Store) ResolveConflict(ctx context.Context, branch, path string, v *Value, info CommitInfo) (Hash, error) {
	if info.Message == "" {
		info.Message = "resolve conflict on " + path
	}
	return s.Update(ctx, branch, info, func(t *Tree) error {
		rec := conflictKey(path)
		if ok, err := t.Has(rec); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("resolving %s: no pending conflict: %w", path, ErrNotFound)
		}
		if err := t.Remove(rec); err != nil {
			return err
		}
		if v == nil {
			return t.Remove(path)
		}
		return t.Set(path, *v)
	})
}
