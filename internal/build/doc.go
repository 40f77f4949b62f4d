// Package build compiles Go packages into Gobi images with the stock go
// command: it checks the toolchain, injects the embedded kernel source with
// go build -overlay (so the user's files and go.mod stay untouched), refuses
// cgo, links with the PVH flags and patches the entry note (docs/hostabi.md,
// "The image").
//
// It runs on the host only. Each step prints one line to Options.Log.
package build
