package kernel

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestServedCallsAreDispatched: every call docs/sandbox.md lists as served
// by the kernel has a case in a dispatcher (sys.go, sys_vm.go,
// sandbox_sys.go). Moving calls between dispatchers once dropped
// gettimeofday, time and brk, which then answered ENOSYS.
func TestServedCallsAreDispatched(t *testing.T) {
	number := map[string]int{}
	for nr, name := range sysNames {
		if name != "" {
			number[name] = nr
		}
	}
	cases := map[int]bool{}
	caseLine := regexp.MustCompile(`(?m)^\tcase ([0-9, ]+):`)
	for _, f := range []string{"sys.go", "sys_vm.go", "sandbox_sys.go"} {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range caseLine.FindAllStringSubmatch(string(src), -1) {
			for _, n := range strings.Split(m[1], ",") {
				if nr, err := strconv.Atoi(strings.TrimSpace(n)); err == nil {
					cases[nr] = true
				}
			}
		}
	}
	doc, err := os.ReadFile("../docs/sandbox.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(doc)
	start, end := strings.Index(s, "## Calls the kernel serves"), strings.Index(s, "## Forbidden calls")
	if start < 0 || end < start {
		t.Fatal("docs/sandbox.md has no section \"Calls the kernel serves\" before \"Forbidden calls\"")
	}
	served := 0
	for _, m := range regexp.MustCompile("`([a-z0-9_]+)`").FindAllStringSubmatch(s[start:end], -1) {
		nr, ok := number[m[1]]
		if !ok || m[1] == "capset" { // "capset is not offered"
			continue
		}
		served++
		if !cases[nr] {
			t.Errorf("%s (%d) is documented as served but no dispatcher has a case for it", m[1], nr)
		}
	}
	if served < 100 {
		t.Errorf("found only %d served calls in docs/sandbox.md: the section's format changed", served)
	}
}
