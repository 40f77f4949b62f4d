package memfs

// Capacities. Every table is a fixed array in the kernel's BSS so that no
// state holds a Go pointer; running out fails cleanly with ENOSPC (nodes,
// directory entries, names, pages) or ENFILE (open file descriptions).
const (
	maxNodes    = 16384   // inodes, including the initial tree
	maxDirents  = 16384   // directory entries (names of nodes)
	maxFiles    = 4096    // open file descriptions
	nameArena   = 1 << 19 // bytes of entry names
	hashBuckets = 1 << 14 // power of two: (directory, name) → entry
)

// Node kinds.
const (
	kindFree uint8 = iota
	kindDir
	kindReg
	kindSymlink
	kindChr
)

// node is an inode. Index 0 is never used, so 0 means "none"; rootNode is /.
type node struct {
	kind uint8
	ro   bool // read-only to the program: outside /tmp
	// inplace: data/size are bytes that live elsewhere (the image's rodata)
	// and are never freed or written. Otherwise data is the root of a page
	// tree of depth levels (data.go).
	inplace bool
	depth   uint8
	mode    uint32 // permission bits (permMask)
	nlink   uint32
	opens   int32 // open file descriptions on this node
	parent  int32 // directories: parent directory (root: itself)
	dent    int32 // directories: the entry that names this one
	first   int32 // directories: entries in creation order
	last    int32
	nextSeq int64 // directories: getdents64 cookie of the next entry
	nfree   int32 // free list link
	size    int64
	data    uintptr
	npages  int64 // data pages held
	rdev    uint64
	atime   int64 // Unix nanoseconds
	mtime   int64
	ctime   int64
}

// dirent is one name in a directory. The name lives in the name arena.
type dirent struct {
	dir     int32 // containing directory; 0 when free (then next links the free list)
	node    int32
	prev    int32
	next    int32
	hnext   int32 // hash chain
	seq     int64 // stable getdents64 position within dir
	nameOff int32
	nameLen uint16
	class   uint8 // name arena size class
}

// file is an open file description, the object file descriptors refer to.
type file struct {
	node  int32
	refs  int32 // 0 when free
	flags int32
	off   int64
}

const rootNode = 1

// fs is the whole file system. It holds no Go pointers: the functions given
// to Init are kept as the addresses of their func values (see mem_unsafe.go).
var fs struct {
	ready     bool // Init succeeded
	allocFn   uintptr
	freeFn    uintptr
	nowFn     uintptr
	pageSize  int64
	pageShift uint
	fanShift  uint // log2(pointers per index page)

	nodes      [maxNodes]node
	nodeTop    int32 // nodes below this index have been used
	nodeFree   int32
	nodesUsed  int32 // nodes in use, for statfs(2)
	dirents    [maxDirents]dirent
	direntTop  int32
	direntFree int32
	files      [maxFiles]file
	hash       [hashBuckets]int32

	names    [nameArena]byte
	namesTop int32
	nameFree [nameClasses]int32 // free chunks per class, offset+1 (0 = none)
	procSelf int32              // /proc/self
	pathBufs [4][PathMax]byte   // symlink expansion (path.go)
}

// Init resets the file system and builds the initial tree (initial.go).
// alloc returns the address of a fresh page of pageSize bytes or 0 when memory
// is exhausted; free returns one; now returns the time in Unix nanoseconds.
// pageSize must be a power of two of at least 4096. The three functions must
// be top-level functions (or otherwise kept alive by the caller): memfs keeps
// only their addresses. Init runs before the program, when the garbage
// collector is not running.
func Init(alloc func() uintptr, free func(uintptr), pageSize int, now func() int64) Errno {
	if pageSize < PathMax || pageSize&(pageSize-1) != 0 || alloc == nil || free == nil || now == nil {
		return EINVAL
	}
	fs.ready = false
	fs.nodes = [maxNodes]node{}
	fs.dirents = [maxDirents]dirent{}
	fs.files = [maxFiles]file{}
	fs.hash = [hashBuckets]int32{}
	fs.nodeTop, fs.nodeFree, fs.nodesUsed = 1, 0, 0
	fs.direntTop, fs.direntFree = 1, 0
	fs.namesTop = 0
	fs.nameFree = [nameClasses]int32{}
	fs.allocFn = funcAddr(&alloc)
	fs.freeFn = funcAddr(&free)
	fs.nowFn = funcAddr(&now)
	fs.pageSize = int64(pageSize)
	fs.pageShift = 0
	for 1<<fs.pageShift < pageSize {
		fs.pageShift++
	}
	fs.fanShift = fs.pageShift - 3
	fs.ready = true
	return buildInitialTree()
}

// newNode allocates a node of kind with permission bits mode.
func newNode(kind uint8, mode uint32, ro bool) (int32, Errno) {
	i := fs.nodeFree
	if i != 0 {
		fs.nodeFree = fs.nodes[i].nfree
	} else {
		if fs.nodeTop >= maxNodes {
			return 0, ENOSPC
		}
		i = fs.nodeTop
		fs.nodeTop++
	}
	t := now()
	fs.nodesUsed++
	fs.nodes[i] = node{kind: kind, ro: ro, mode: mode & permMask, atime: t, mtime: t, ctime: t}
	if kind == kindDir {
		fs.nodes[i].size = 2 * dirEntrySize
		fs.nodes[i].nextSeq = firstSeq
	}
	return i, 0
}

// maybeFreeNode releases node i once no name and no open file refers to it.
func maybeFreeNode(i int32) {
	n := &fs.nodes[i]
	if n.nlink != 0 || n.opens != 0 || n.kind == kindFree {
		return
	}
	if !n.inplace {
		truncatePages(n, 0)
	}
	*n = node{nfree: fs.nodeFree}
	fs.nodeFree = i
	fs.nodesUsed--
}
