package main

import (
	"fmt"
	"io"
	"runtime/debug"

	"github.com/gobi-os/gobi/internal/build"
)

// runVersion prints gobi's version and the Go release it supports.
func runVersion(stdout io.Writer) int {
	version := "(devel)"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		version = bi.Main.Version
	}
	fmt.Fprintf(stdout, "gobi %s, for Go %s.x\n", version, build.SupportedGo)
	return 0
}
