package linuxguest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
)

// InitWrapper is the import path of the /init wrapper that sets up the
// network before running the benchmarked program.
const InitWrapper = "github.com/gobi-os/gobi/bench/linuxguest/init"

// BuildStatic builds the Go main package pkg (an import path or a directory)
// into a static linux/amd64 executable at out, stripped as a minimal guest
// would ship it.
func BuildStatic(ctx context.Context, pkg, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return nil
}
