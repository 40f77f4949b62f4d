package build

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
)

// SupportedGo is the Go release line gobi supports. The guest kernel
// emulates the Linux system calls that this release's runtime makes, in the
// way it makes them, so another release could break in the guest in ways no
// build step would notice. Keep it in step with go.mod.
const SupportedGo = "go1.26"

// Toolchain is the go command gobi builds with: the first go on PATH.
type Toolchain struct {
	Version string // e.g. go1.26.8
	GOROOT  string
}

// CheckToolchain asks the go command for its version and GOROOT and refuses
// any release other than SupportedGo. GOTOOLCHAIN=local stops the go
// command from switching to another release a go.mod asks for.
func CheckToolchain(ctx context.Context) (Toolchain, error) {
	cmd := exec.CommandContext(ctx, "go", "env", "-json", "GOVERSION", "GOROOT")
	cmd.Env = append(cmd.Environ(), "GOTOOLCHAIN=local")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if _, ok := err.(*exec.Error); ok {
			return Toolchain{}, fmt.Errorf("go command not found on PATH: install %s.x from https://go.dev/dl/", SupportedGo)
		}
		return Toolchain{}, fmt.Errorf("go env: %v: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	var env struct{ GOVERSION, GOROOT string }
	if err := json.Unmarshal(out, &env); err != nil {
		return Toolchain{}, fmt.Errorf("reading go env output: %w", err)
	}
	tc := Toolchain{Version: env.GOVERSION, GOROOT: env.GOROOT}
	if !Supported(tc.Version) {
		return Toolchain{}, fmt.Errorf("gobi supports %s.x only, but the go command on PATH is %s (GOROOT %s): put %s first on PATH", SupportedGo, tc.Version, tc.GOROOT, SupportedGo)
	}
	return tc, nil
}

// Supported reports whether version (as runtime.Version or go env GOVERSION
// print it) belongs to the SupportedGo release line.
func Supported(version string) bool {
	rest, ok := strings.CutPrefix(version, SupportedGo)
	if !ok {
		return false
	}
	// go1.26, go1.26.8, go1.26rc1, go1.26.8 X:experiment; not go1.260.
	return rest == "" || rest[0] == '.' || rest[0] == ' ' || strings.HasPrefix(rest, "rc")
}
