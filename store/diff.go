package store

// Change is one key that differs between two trees.
type Change struct {
	Key      string
	Old, New *Value // nil: absent on that side
}

// diffTrees calls fn for each value entry that differs between stored
// trees a and b (zero hashes are empty), skipping subtrees whose hashes
// agree without reading them.
func diffTrees(read func(Hash) ([]treeEntry, error), a, b Hash, dir string, fn func(key string, old, new *treeEntry) error) error {
	if a == b {
		return nil
	}
	var ae, be []treeEntry
	var err error
	if !a.IsZero() {
		if ae, err = read(a); err != nil {
			return err
		}
	}
	if !b.IsZero() {
		if be, err = read(b); err != nil {
			return err
		}
	}
	i, j := 0, 0
	for i < len(ae) || j < len(be) {
		var x, y *treeEntry
		switch {
		case j == len(be):
			x = &ae[i]
		case i == len(ae):
			y = &be[j]
		default:
			// Git order ranks a directory as name+"/", so a value and a
			// directory of one name are not adjacent; compare names only
			// and let each side advance on its own.
			switch c := compareNames(ae[i].name, ae[i].isDir(), be[j].name, be[j].isDir()); {
			case c < 0:
				x = &ae[i]
			case c > 0:
				y = &be[j]
			default:
				x, y = &ae[i], &be[j]
			}
		}
		if x != nil {
			i++
		}
		if y != nil {
			j++
		}
		if err := diffEntry(read, dir, x, y, fn); err != nil {
			return err
		}
	}
	return nil
}

func diffEntry(read func(Hash) ([]treeEntry, error), dir string, x, y *treeEntry, fn func(string, *treeEntry, *treeEntry) error) error {
	e := x
	if e == nil {
		e = y
	}
	key := e.name
	if dir != "" {
		key = dir + "/" + e.name
	}
	if x != nil && y != nil && x.mode == y.mode && x.hash == y.hash {
		return nil
	}
	sub := func(e *treeEntry) Hash {
		if e != nil && e.isDir() {
			return e.hash
		}
		return Hash{}
	}
	val := func(e *treeEntry) *treeEntry {
		if e != nil && isValue(e.mode) {
			return e
		}
		return nil
	}
	if err := diffTrees(read, sub(x), sub(y), key, fn); err != nil {
		return err
	}
	if vx, vy := val(x), val(y); vx != nil || vy != nil {
		return fn(key, vx, vy)
	}
	return nil
}

// Diff returns the keys whose values differ from t to other, in Git order
// of their paths.
func (t *Tree) Diff(other *Tree) ([]Change, error) {
	a, err := t.Hash()
	if err != nil {
		return nil, err
	}
	b, err := other.Hash()
	if err != nil {
		return nil, err
	}
	read := func(h Hash) ([]treeEntry, error) {
		if _, ok := other.pending[h]; ok {
			return other.readTree(h)
		}
		return t.readTree(h)
	}
	value := func(e *treeEntry) (*Value, error) {
		if e == nil {
			return nil, nil
		}
		src := t
		if _, ok := other.pending[e.hash]; ok {
			src = other
		}
		v, err := src.value(e.hash)
		return &v, err
	}
	var out []Change
	err = diffTrees(read, a, b, "", func(key string, x, y *treeEntry) error {
		ov, err := value(x)
		if err != nil {
			return err
		}
		nv, err := value(y)
		if err != nil {
			return err
		}
		out = append(out, Change{Key: key, Old: ov, New: nv})
		return nil
	})
	return out, err
}
