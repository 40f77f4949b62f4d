package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/gobi-os/gobi/bench/internal/timed"
)

// gobiTool is the gobi command, built from this checkout.
type gobiTool struct {
	bin string
}

// buildGobi builds ./cmd/gobi into the work directory.
func buildGobi(ctx context.Context, c *common, log io.Writer) (*gobiTool, error) {
	bin := filepath.Join(c.work, "gobi")
	fmt.Fprintf(log, "building ./cmd/gobi\n")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/gobi")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build ./cmd/gobi (run bench from the repository root): %w\n%s", err, out)
	}
	return &gobiTool{bin: bin}, nil
}

// build runs `gobi build` for pkg and returns the image's path and size.
func (g *gobiTool) build(ctx context.Context, c *common, pkg string, log io.Writer) (string, int64, error) {
	img := filepath.Join(c.work, filepath.Base(strings.TrimRight(pkg, "/"))+".gobi")
	fmt.Fprintf(log, "gobi build -o %s %s\n", img, pkg)
	cmd := exec.CommandContext(ctx, g.bin, "build", "-o", img, pkg)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", 0, fmt.Errorf("gobi build %s: %w\n%s", pkg, err, out)
	}
	fi, err := os.Stat(img)
	if err != nil {
		return "", 0, err
	}
	return img, fi.Size(), nil
}

// runCommand returns the `gobi run` command line for an image under TCG.
func (g *gobiTool) runCommand(mem string, flags []string, image string, args ...string) []string {
	cmd := append([]string{g.bin, "run", "-accel", "tcg", "-m", mem}, flags...)
	return append(append(cmd, image), args...)
}

// isGobiProgramLine reports whether a line of `gobi run` output came from
// the program: gobi prefixes its own and the kernel's messages with "gobi:".
func isGobiProgramLine(l timed.Line) bool {
	return !strings.HasPrefix(l.Text, "gobi:")
}
