// Package sync moves a store's history between replicas: clone, fetch, pull
// (fetch, then a three-way merge through store.MergeCommit) and push, over the Git
// smart HTTP protocol (git-scm.com/docs/http-protocol, protocol version 0 as
// in gitprotocol-pack(5)) and over file paths. Its peers are real Git
// servers — `git http-backend`, GitHub-style hosts, `gobi store serve` — and
// plain bare repositories on disk.
//
// Every operation runs under a deadline (Options.Timeout, 30 s by default)
// carried by its context down to every dial, request and body read, so a
// server that hangs, stalls mid-pack or refuses credentials yields an error
// within the deadline instead of a hang (Irmin #1497). HTTP 401 and 403 map
// to ErrAuth.
//
// Objects travel as one packfile per operation (gitformat-pack(5)). The
// objects sent are those reachable from the wanted commits and not from the
// commits the other side has, found by diffing each new commit's tree
// against its parents' and skipping equal subtrees by hash (see Missing);
// changed objects are sent as deltas against the versions the other side
// has — thin packs, in both directions (see WritePack) — so the cost and the
// bytes on the wire grow with the change, not with the store. Each
// operation reports Stats: bytes on the wire and HTTP round trips.
//
// Objects are read and written through the store's own backend (go-git
// parses received packs), so they land as the backend stores them — on a
// Git directory, as packs that stock git reads — and thin packs received
// are completed against the store. Branches move only through the
// store's compare-and-swap, so concurrent writers and watches see every
// update. Named remotes are recorded in the Git directory's config file,
// as git does.
package sync
