// Package gobi carries the source of Gobi's guest kernel, so that an
// installed gobi command can build images without a source checkout: gobi
// build places these files into the build with go build -overlay.
//
// The kernel is compiled as part of every image, never into the gobi
// command itself; this package holds it as data only.
package gobi

import "embed"

// Kernel is the kernel source tree, rooted at "kernel". Go embed patterns
// cannot exclude files, so the tree also holds the kernel's tests and
// testdata; KernelSource skips them.
//
//go:embed kernel
var Kernel embed.FS

// Guest holds the guest-side Go packages an image may need beyond the
// kernel — the network stack, its drivers and the platform contract under
// them — with the module's go.mod and go.sum. gobi build offers them to a
// user's module through a temporary go workspace when the program uses the
// network. The tests and testdata in these trees are skipped the same way.
//
//go:embed go.mod go.sum platform pump guestnet drivers netstack
var Guest embed.FS

// ModulePath is this module's path, under which Guest's packages build.
const ModulePath = "github.com/gobi-os/gobi"

// KernelImportPath is the kernel's import path in this module. Inside an
// image build the kernel lives at GOROOT/src/gobi/kernel instead, so that
// standard-library packages under test may import it.
const KernelImportPath = "github.com/gobi-os/gobi/kernel"
