package kernel

// Credentials (credentials(7)): the program starts as root and may give
// that up, as a server does after binding its port. The kernel keeps the
// real, effective, saved and file-system IDs and the supplementary groups,
// and applies Linux's rules for who may set what (setuid(2), setreuid(2),
// setresuid(2), setgroups(2)), with CAP_SETUID and CAP_SETGID standing for
// an effective user ID of 0. There is one process, so the IDs are the
// process's, not each thread's; the runtime makes every thread repeat the
// call (syscall.AllThreadsSyscall) and each repetition finds the change
// made. The in-memory file system does not check permissions: its files
// all belong to root.

// ids is a real, effective, saved and file-system ID.
type ids struct{ real, eff, saved, fs uint32 }

// maxGroups bounds the supplementary groups kept (Linux allows 65536).
const maxGroups = 1024

var (
	uids, gids ids
	groups     [maxGroups]uint32
	nGroups    int
)

// noID is -1 as an ID argument: "leave it as it is".
const noID = ^uint32(0)

func privileged() bool { return uids.eff == 0 }

// setID is setuid(2) and setgid(2) on c.
func setID(c *ids, id uint64) uint64 {
	v := uint32(id)
	switch {
	case v == noID:
		return errno(eINVAL)
	case privileged():
		*c = ids{v, v, v, v}
	case v == c.real || v == c.saved:
		c.eff, c.fs = v, v
	default:
		return errno(ePERM)
	}
	return 0
}

// setREID is setreuid(2) and setregid(2) on c: an unprivileged caller may
// set the real ID to the real or effective one, and the effective ID to
// any of the three. The saved ID follows the effective one when the real ID
// is set, or the effective ID is set to other than the old real ID.
func setREID(c *ids, r, e uint64) uint64 {
	rv, ev := uint32(r), uint32(e)
	if !privileged() {
		if rv != noID && rv != c.real && rv != c.eff ||
			ev != noID && ev != c.real && ev != c.eff && ev != c.saved {
			return errno(ePERM)
		}
	}
	n := *c
	if rv != noID {
		n.real = rv
	}
	if ev != noID {
		n.eff = ev
	}
	if rv != noID || ev != noID && ev != c.real {
		n.saved = n.eff
	}
	n.fs = n.eff
	*c = n
	return 0
}

// setRESID is setresuid(2) and setresgid(2) on c: an unprivileged caller
// may set each ID to any of the current three.
func setRESID(c *ids, r, e, s uint64) uint64 {
	vals := [3]uint32{uint32(r), uint32(e), uint32(s)}
	if !privileged() {
		for _, v := range vals {
			if v != noID && v != c.real && v != c.eff && v != c.saved {
				return errno(ePERM)
			}
		}
	}
	n := *c
	for k, p := range [3]*uint32{&n.real, &n.eff, &n.saved} {
		if vals[k] != noID {
			*p = vals[k]
		}
	}
	n.fs = n.eff
	*c = n
	return 0
}

// setFSID is setfsuid(2) and setfsgid(2): it returns the previous ID
// whether or not it changed anything.
func setFSID(c *ids, id uint64) uint64 {
	old, v := c.fs, uint32(id)
	if privileged() || v == c.real || v == c.eff || v == c.saved || v == c.fs {
		c.fs = v
	}
	return uint64(old)
}

// getRESID is getresuid(2) and getresgid(2).
func getRESID(c *ids, r, e, s uint64) uint64 {
	vals := [3]uint32{c.real, c.eff, c.saved}
	for k, p := range [3]uint64{r, e, s} {
		if p == 0 {
			continue
		}
		if !userOK(uintptr(p), 4, true) {
			return errno(eFAULT)
		}
		*ptr[uint32](uintptr(p)) = vals[k]
	}
	return 0
}

func sysGetgroups(size, list uint64) uint64 {
	if size == 0 {
		return uint64(nGroups)
	}
	if int(uint32(size)) < nGroups || int32(size) < 0 {
		return errno(eINVAL)
	}
	if nGroups > 0 && !userOK(uintptr(list), uintptr(4*nGroups), true) {
		return errno(eFAULT)
	}
	for k := 0; k < nGroups; k++ {
		*ptr[uint32](uintptr(list) + uintptr(4*k)) = groups[k]
	}
	return uint64(nGroups)
}

func sysSetgroups(size, list uint64) uint64 {
	if !privileged() {
		return errno(ePERM)
	}
	if size > maxGroups {
		return errno(eINVAL)
	}
	if size > 0 && !userOK(uintptr(list), uintptr(4*size), false) {
		return errno(eFAULT)
	}
	for k := 0; k < int(size); k++ {
		groups[k] = *ptr[uint32](uintptr(list) + uintptr(4*k))
	}
	nGroups = int(size)
	return 0
}

// Capabilities (capabilities(7)) follow the user IDs rather than being kept
// apart: root's effective set is every capability and anyone else's is
// empty, and the permitted set is full while any of the real, effective or
// saved user IDs is 0, as Linux leaves them after the ID changes above (the
// keep-caps flag aside). capset is not offered.
const (
	capVersion1 = 0x19980330 // one 32-bit word per set
	capVersion2 = 0x20071026 // two words per set
	capVersion3 = 0x20080522 // two words per set, the one to use
	capLast     = 40         // CAP_CHECKPOINT_RESTORE, the last in Linux 6.1
)

// sysCapget is capget(2): hdr is {version u32, pid i32}; data receives one
// {effective, permitted, inheritable u32} per word of the version.
func sysCapget(hdr, data uint64) uint64 {
	if !userOK(uintptr(hdr), 8, true) {
		return errno(eFAULT)
	}
	h := bytesAt(uintptr(hdr), 8)
	words := 2
	switch get32(h) {
	case capVersion1:
		words = 1
	case capVersion2, capVersion3:
	default:
		put32(h, capVersion3) // the caller learns the version to use
		if data == 0 {
			return 0
		}
		return errno(eINVAL)
	}
	if p := int32(get32(h[4:])); p < 0 {
		return errno(eINVAL)
	} else if p != 0 && uint64(p) != processID() {
		return errno(eSRCH)
	}
	if data == 0 {
		return 0
	}
	if !userOK(uintptr(data), uintptr(12*words), true) {
		return errno(eFAULT)
	}
	d := bytesAt(uintptr(data), 12*words)
	all := [2]uint32{^uint32(0), 1<<(capLast-31) - 1}
	for w := 0; w < words; w++ {
		var eff, perm uint32
		if uids.eff == 0 {
			eff = all[w]
		}
		if uids.real == 0 || uids.eff == 0 || uids.saved == 0 {
			perm = all[w]
		}
		put32(d[12*w:], eff)
		put32(d[12*w+4:], perm)
		put32(d[12*w+8:], 0)
	}
	return 0
}
