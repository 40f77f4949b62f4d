// Package server serves a store over HTTP, as `gobi store serve` does:
//
//   - Git smart HTTP at "/" (git-scm.com/docs/http-protocol; the v0 pack
//     protocol of gitprotocol-pack(5)), so stock `git clone http://host:port/`,
//     `git fetch` and `git push` work against the store, and so do the
//     store's own sync operations;
//   - a JSON API under "/api/v1/" (get, set, list, tree, log, branches,
//     merge, conflicts) and a watch stream of Server-Sent Events
//     (html.spec.whatwg.org/multipage/server-sent-events.html), documented in
//     docs/store-sync.md.
//
// Pushes update branches by compare-and-swap against the old value the
// client sent, so concurrent pushes and local writers never lose an update;
// a lost race is reported to the client as a rejected ref. Request bodies
// are bounded (Options), since a peer controls them.
//
// The server does no authentication: bind it to loopback, or put it behind a
// reverse proxy that authenticates.
package server
