// Package store is Gobi's branchable, Git-compatible store: a key-value tree
// of typed values with commits, branches, three-way merges whose conflicts are
// structured data, and watches — in the spirit of Irmin (MirageOS), but whose
// storage is a real Git repository that stock git can read, fsck, clone and gc.
//
// Model. Keys are '/'-separated paths ("a/b/c"); each key holds a Value: a
// type name and a payload. Plain bytes ("bytes", also used for strings) are
// stored as a Git blob of the raw bytes, so `git show main:a/b/c` prints
// them; other types use the encoding documented in value.go and
// docs/store.md. Each type brings a three-way merge function; Register adds
// user types.
//
// Trees and commits. A Tree is a lazy, copy-on-write view of one Git tree:
// reading loads only the subtrees on the path, writing copies only them.
// Store.Update runs a function on the tree of a branch head and commits the
// result atomically with compare-and-swap on the branch reference, retrying
// on a concurrent update — from this or any other process.
//
// Merges. Store.Merge merges a branch or commit into a branch. Subtrees whose
// hashes agree are skipped without being read, so a merge costs in proportion
// to the changes, not to the store. Conflicts come back as []Conflict and are
// committed as pending-conflict records under ".gobi/conflicts/", so they
// sync like any other data and can be listed and resolved on any replica.
//
// Storage. A Store sits on a backend.Storage: Init/Open use a bare Git
// repository directory (package gitrepo: loose and packed objects, refs and
// packed-refs), NewMemory an in-memory one. Several processes may write one
// repository: objects are made durable before a reference moves, and
// references move by lock file and rename, so a writer killed at any point
// leaves a repository that `git fsck --strict` finds clean.
//
// Watches. Store.Watch reports changed keys under a branch and prefix; it
// polls the references, so it sees commits made by other processes too.
package store
