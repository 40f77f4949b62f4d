package kernel

import "github.com/gobi-os/gobi/kernel/memfs"

// File locks: flock(2) and fcntl(2)'s record locks.
//
// flock locks belong to an open file description (every descriptor dup'd
// from it shares the lock, and it goes when the last one closes) and
// conflict between descriptions, even within one process: a program that
// opens its database twice finds it locked, as on Linux. Record locks
// (F_SETLK) belong to the process, and one process never conflicts with
// itself, so with one process they always succeed: Linux would answer the
// same.

const (
	lockSh = 1
	lockEx = 2
	lockNb = 4
	lockUn = 8

	fGetlk  = 5
	fSetlk  = 6
	fSetlkw = 7
	fRdlck  = 0
	fWrlck  = 1
	fUnlck  = 2
)

// maxFlocks bounds the locks held at once; one more fails with ENOLCK.
const maxFlocks = 256

// flockEntry is one lock: the node it locks and the description holding it.
type flockEntry struct {
	ino   uint64
	owner memfs.File // 0: a free entry
	excl  bool
}

var flocks [maxFlocks]flockEntry

func sysFlock(fd, op, nr uint64) uint64 {
	f, r := fileOf(fd, eINVAL)
	if r != 0 {
		return r
	}
	ino := memfs.Ino(f)
	switch op &^ lockNb {
	case lockUn:
		dropFlock(f)
		return 0
	case lockSh, lockEx:
	default:
		return errno(eINVAL)
	}
	excl := op&^lockNb == lockEx
	free := -1
	for k := range flocks {
		l := &flocks[k]
		switch {
		case l.owner == 0:
			if free < 0 {
				free = k
			}
		case l.ino == ino && l.owner != f && (excl || l.excl):
			if op&lockNb != 0 {
				return errno(eAGAIN)
			}
			return blockRetry(fdFile, int32(ino), nr) // unlockFlock wakes it
		}
	}
	for k := range flocks {
		if l := &flocks[k]; l.owner == f {
			if l.excl && !excl { // a downgrade lets shared waiters in
				wakeRetry(fdFile, int32(ino))
			}
			l.excl = excl
			return 0
		}
	}
	if free < 0 {
		return errno(eNOLCK)
	}
	flocks[free] = flockEntry{ino: ino, owner: f, excl: excl}
	return 0
}

// dropFlock drops the lock description f holds, if any, and wakes those
// waiting for its file.
func dropFlock(f memfs.File) {
	for k := range flocks {
		if l := &flocks[k]; l.owner == f {
			ino := l.ino
			*l = flockEntry{}
			wakeRetry(fdFile, int32(ino))
			return // a description holds one lock at most
		}
	}
}

// closedFile drops the lock of description f once its last descriptor
// has closed (memfs then no longer knows it).
func closedFile(f memfs.File) {
	if _, er := memfs.Flags(f); er != 0 {
		dropFlock(f)
	}
}

// recordLock answers F_GETLK, F_SETLK and F_SETLKW for the one process
// there is. arg points at struct flock {short l_type, l_whence; off_t
// l_start, l_len; pid_t l_pid} (32 bytes on x86-64).
func recordLock(e *fdEntry, cmd, arg uint64) uint64 {
	if e.kind != fdFile {
		return errno(eINVAL)
	}
	if !userOK(uintptr(arg), 32, cmd == fGetlk) {
		return errno(eFAULT)
	}
	typ := *ptr[int16](uintptr(arg))
	whence := *ptr[int16](uintptr(arg + 2))
	if typ < fRdlck || typ > fUnlck || whence < 0 || whence > 2 {
		return errno(eINVAL)
	}
	if cmd == fGetlk {
		*ptr[int16](uintptr(arg)) = fUnlck // nothing of another process's conflicts
		return 0
	}
	// A lock needs the access it guards (fcntl(2): EBADF).
	fl, er := memfs.Flags(memfs.File(e.obj))
	if er != 0 {
		return errnoOf(er)
	}
	if typ == fRdlck && fl&3 == 1 || typ == fWrlck && fl&3 == 0 {
		return errno(eBADF)
	}
	return 0
}
