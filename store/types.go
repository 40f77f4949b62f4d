package store

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"time"
)

// Built-in type names. Payload formats are text so that `git show` stays
// readable; each is documented with its constructor.
const (
	TypeCounter = "counter"
	TypeLWW     = "lww"
	TypeSet     = "set"
	TypeMap     = "map"
	TypeLog     = "log"
	TypeJSON    = "json"
)

func init() {
	for _, t := range []Type{
		{Name: TypeBytes, Merge: mergeBytes},
		{Name: TypeCounter, Merge: mergeCounter, Validate: func(p []byte) error { _, err := parseCounter(p); return err }},
		{Name: TypeLWW, Merge: mergeLWW, Validate: func(p []byte) error { _, _, err := parseLWW(p); return err }},
		{Name: TypeSet, Merge: mergeSet, Validate: func(p []byte) error { _, err := parseSet(p); return err }},
		{Name: TypeMap, Merge: mergeMap, Validate: func(p []byte) error { _, err := parseMap(p); return err }},
		{Name: TypeLog, Merge: mergeLog, Validate: func(p []byte) error { _, err := parseLog(p); return err }},
		{Name: TypeJSON, Merge: mergeJSON, Validate: func(p []byte) error { _, err := parseObject(p); return err }},
	} {
		if err := Register(t); err != nil {
			panic(err)
		}
	}
}

// errBothChanged is the conflict of two different writes to plain bytes.
var errBothChanged = errors.New("both sides changed the value differently")

func mergeBytes(base, ours, theirs []byte) ([]byte, error) { return nil, errBothChanged }

// Counter returns a counter value: payload is the decimal int64. Merging
// adds both sides' increments: ours + theirs - base. Like every merge, it
// runs only where the two sides differ: sides that reached the same value
// (or the same subtree) are taken as one, so two equal increments made
// apart merge as one. Counters that must count every increment exactly
// should keep one key per writer and sum them.
func Counter(n int64) Value { return Value{Type: TypeCounter, Data: strconv.AppendInt(nil, n, 10)} }

// ParseCounter returns the number held by a counter value.
func ParseCounter(v Value) (int64, error) {
	if v.Type != TypeCounter {
		return 0, fmt.Errorf("value of type %s is not a counter", v.Type)
	}
	return parseCounter(v.Data)
}

func parseCounter(p []byte) (int64, error) {
	n, err := strconv.ParseInt(string(p), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("counter payload %q: want a decimal int64", p)
	}
	return n, nil
}

func mergeCounter(base, ours, theirs []byte) ([]byte, error) {
	var b int64
	if base != nil {
		var err error
		if b, err = parseCounter(base); err != nil {
			return nil, err
		}
	}
	o, err := parseCounter(ours)
	if err != nil {
		return nil, err
	}
	t, err := parseCounter(theirs)
	if err != nil {
		return nil, err
	}
	// ours + (theirs - base), in big integers so overflow is an error
	// rather than a silent wrap.
	r := new(big.Int).Sub(big.NewInt(t), big.NewInt(b))
	r.Add(r, big.NewInt(o))
	if !r.IsInt64() {
		return nil, errors.New("counter overflow")
	}
	return strconv.AppendInt(nil, r.Int64(), 10), nil
}

// LWW returns a last-writer-wins register: payload is the write time in
// Unix nanoseconds, a space, then the data. Merging keeps the later write;
// equal times keep the greater data, so every replica picks the same one.
func LWW(t time.Time, data []byte) Value {
	b := strconv.AppendInt(nil, t.UnixNano(), 10)
	b = append(b, ' ')
	return Value{Type: TypeLWW, Data: append(b, data...)}
}

// ParseLWW returns the write time and data of a last-writer-wins register.
func ParseLWW(v Value) (time.Time, []byte, error) {
	if v.Type != TypeLWW {
		return time.Time{}, nil, fmt.Errorf("value of type %s is not an lww register", v.Type)
	}
	ns, data, err := parseLWW(v.Data)
	return time.Unix(0, ns), data, err
}

func parseLWW(p []byte) (int64, []byte, error) {
	ts, data, ok := bytes.Cut(p, []byte{' '})
	if !ok {
		return 0, nil, errors.New("lww payload: want \"<unix-nanoseconds> <data>\"")
	}
	ns, err := strconv.ParseInt(string(ts), 10, 64)
	if err != nil {
		return 0, nil, fmt.Errorf("lww payload time %q: want decimal nanoseconds", ts)
	}
	return ns, data, nil
}

func mergeLWW(_, ours, theirs []byte) ([]byte, error) {
	o, od, err := parseLWW(ours)
	if err != nil {
		return nil, err
	}
	t, td, err := parseLWW(theirs)
	if err != nil {
		return nil, err
	}
	if t > o || (t == o && bytes.Compare(td, od) > 0) {
		return theirs, nil
	}
	return ours, nil
}

// Set returns a set of strings: payload is a sorted JSON array without
// duplicates. Merging keeps an element if either side added it and neither
// side removed it: (base∩ours∩theirs) ∪ (ours−base) ∪ (theirs−base).
func Set(elems ...string) Value {
	s := slices.Clone(elems)
	slices.Sort(s)
	s = slices.Compact(s)
	if s == nil {
		s = []string{}
	}
	b, _ := json.Marshal(s) // a []string always marshals
	return Value{Type: TypeSet, Data: b}
}

// ParseSet returns the sorted elements of a set value.
func ParseSet(v Value) ([]string, error) {
	if v.Type != TypeSet {
		return nil, fmt.Errorf("value of type %s is not a set", v.Type)
	}
	return parseSet(v.Data)
}

func parseSet(p []byte) ([]string, error) {
	var s []string
	if err := json.Unmarshal(p, &s); err != nil {
		return nil, fmt.Errorf("set payload: want a JSON array of strings: %w", err)
	}
	return s, nil
}

func mergeSet(base, ours, theirs []byte) ([]byte, error) {
	var b []string
	if base != nil {
		var err error
		if b, err = parseSet(base); err != nil {
			return nil, err
		}
	}
	o, err := parseSet(ours)
	if err != nil {
		return nil, err
	}
	t, err := parseSet(theirs)
	if err != nil {
		return nil, err
	}
	in := func(s []string) map[string]bool {
		m := make(map[string]bool, len(s))
		for _, e := range s {
			m[e] = true
		}
		return m
	}
	bm, om, tm := in(b), in(o), in(t)
	var out []string
	for e := range om {
		if !bm[e] || tm[e] {
			out = append(out, e)
		}
	}
	for e := range tm {
		if !bm[e] && !om[e] {
			out = append(out, e)
		}
	}
	return Set(out...).Data, nil
}

// Map returns a map from strings to strings: payload is a JSON object with
// string values. Merging is per key, as for JSON; a key both sides set to
// different strings is a conflict.
func Map(m map[string]string) Value {
	if m == nil {
		m = map[string]string{}
	}
	b, _ := json.Marshal(m) // a map[string]string always marshals, keys sorted
	return Value{Type: TypeMap, Data: b}
}

// ParseMap returns the entries of a map value.
func ParseMap(v Value) (map[string]string, error) {
	if v.Type != TypeMap {
		return nil, fmt.Errorf("value of type %s is not a map", v.Type)
	}
	return parseMap(v.Data)
}

func parseMap(p []byte) (map[string]string, error) {
	var m map[string]string
	if err := json.Unmarshal(p, &m); err != nil || m == nil {
		return nil, fmt.Errorf("map payload: want a JSON object of strings")
	}
	return m, nil
}

func mergeMap(base, ours, theirs []byte) ([]byte, error) {
	for _, p := range [][]byte{base, ours, theirs} {
		if p != nil {
			if _, err := parseMap(p); err != nil {
				return nil, err
			}
		}
	}
	return mergeJSON(base, ours, theirs)
}

// LogEntry is one record of an append-only log.
type LogEntry struct {
	Time time.Time
	Data string
}

type logEntryJSON struct {
	Time int64  `json:"t"` // Unix nanoseconds
	Data string `json:"d"`
}

// Log returns an append-only log: payload is a JSON array of {"t": Unix
// nanoseconds, "d": data} sorted by time then data. Merging is the sorted
// union of both sides, so concurrent appends interleave by time.
func Log(entries ...LogEntry) Value {
	js := make([]logEntryJSON, len(entries))
	for i, e := range entries {
		js[i] = logEntryJSON{e.Time.UnixNano(), e.Data}
	}
	return logValue(js)
}

func logValue(js []logEntryJSON) Value {
	slices.SortFunc(js, func(a, b logEntryJSON) int {
		if a.Time != b.Time {
			return cmp.Compare(a.Time, b.Time)
		}
		return cmp.Compare(a.Data, b.Data)
	})
	js = slices.Compact(js)
	if js == nil {
		js = []logEntryJSON{}
	}
	b, _ := json.Marshal(js) // plain structs always marshal
	return Value{Type: TypeLog, Data: b}
}

// ParseLog returns the entries of a log value in order.
func ParseLog(v Value) ([]LogEntry, error) {
	if v.Type != TypeLog {
		return nil, fmt.Errorf("value of type %s is not a log", v.Type)
	}
	js, err := parseLog(v.Data)
	if err != nil {
		return nil, err
	}
	out := make([]LogEntry, len(js))
	for i, e := range js {
		out[i] = LogEntry{time.Unix(0, e.Time), e.Data}
	}
	return out, nil
}

// AppendLog returns log v with entries appended (v may be the zero Value).
func AppendLog(v Value, entries ...LogEntry) (Value, error) {
	var js []logEntryJSON
	if v.Type != "" {
		var err error
		if js, err = parseLog(v.Data); err != nil {
			return Value{}, err
		}
	}
	for _, e := range entries {
		js = append(js, logEntryJSON{e.Time.UnixNano(), e.Data})
	}
	return logValue(js), nil
}

func parseLog(p []byte) ([]logEntryJSON, error) {
	var js []logEntryJSON
	if err := json.Unmarshal(p, &js); err != nil {
		return nil, fmt.Errorf("log payload: want a JSON array of {\"t\":nanoseconds,\"d\":string}: %w", err)
	}
	return js, nil
}

func mergeLog(_, ours, theirs []byte) ([]byte, error) {
	o, err := parseLog(ours)
	if err != nil {
		return nil, err
	}
	t, err := parseLog(theirs)
	if err != nil {
		return nil, err
	}
	return logValue(append(o, t...)).Data, nil
}

// JSON returns a JSON object value. Merging is per key and recursive into
// nested objects; a key both sides changed to different values (compared
// as canonical JSON) is a conflict naming the key.
func JSON(object []byte) (Value, error) {
	m, err := parseObject(object)
	if err != nil {
		return Value{}, err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return Value{}, fmt.Errorf("json value: %w", err)
	}
	return Value{Type: TypeJSON, Data: b}, nil
}

func parseObject(p []byte) (map[string]any, error) {
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(p))
	d.UseNumber()
	if err := d.Decode(&m); err != nil || m == nil {
		return nil, fmt.Errorf("json payload: want a JSON object")
	}
	if d.More() {
		return nil, fmt.Errorf("json payload: trailing data after the object")
	}
	return m, nil
}

func mergeJSON(base, ours, theirs []byte) ([]byte, error) {
	b := map[string]any{}
	if base != nil {
		var err error
		if b, err = parseObject(base); err != nil {
			return nil, err
		}
	}
	o, err := parseObject(ours)
	if err != nil {
		return nil, err
	}
	t, err := parseObject(theirs)
	if err != nil {
		return nil, err
	}
	m, err := mergeObjects(b, o, t, "")
	if err != nil {
		return nil, err
	}
	return json.Marshal(m)
}

// absent marks a key missing from one side of a JSON merge.
type absent struct{}

func mergeObjects(b, o, t map[string]any, at string) (map[string]any, error) {
	out := map[string]any{}
	keys := map[string]bool{}
	for _, m := range []map[string]any{b, o, t} {
		for k := range m {
			keys[k] = true
		}
	}
	get := func(m map[string]any, k string) any {
		if v, ok := m[k]; ok {
			return v
		}
		return absent{}
	}
	for k := range keys {
		bv, ov, tv := get(b, k), get(o, k), get(t, k)
		var v any
		switch {
		case jsonEqual(ov, tv), jsonEqual(bv, tv):
			v = ov
		case jsonEqual(bv, ov):
			v = tv
		default:
			om, ok1 := ov.(map[string]any)
			tm, ok2 := tv.(map[string]any)
			if !ok1 || !ok2 {
				return nil, fmt.Errorf("key %q changed differently on both sides", at+k)
			}
			bm, _ := bv.(map[string]any)
			var err error
			if v, err = mergeObjects(bm, om, tm, at+k+"."); err != nil {
				return nil, err
			}
		}
		if _, gone := v.(absent); !gone {
			out[k] = v
		}
	}
	return out, nil
}

func jsonEqual(a, b any) bool {
	_, aa := a.(absent)
	_, ba := b.(absent)
	if aa || ba {
		return aa && ba
	}
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}
