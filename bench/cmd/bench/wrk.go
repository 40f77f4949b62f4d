package main

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// lookWrk finds wrk, the HTTP load generator.
func lookWrk() (string, error) {
	path, err := exec.LookPath("wrk")
	if err != nil {
		return "", fmt.Errorf("wrk not found: apt-get install wrk (scripts/setup does)")
	}
	return path, nil
}

var (
	wrkRate = regexp.MustCompile(`(?m)^Requests/sec:\s+([0-9.]+)`)
	// wrk reports failures on lines of their own, absent when all went well.
	wrkFailure = regexp.MustCompile(`(?m)^\s*(Socket errors:.*|Non-2xx or 3xx responses:.*)$`)
)

// runWrk runs wrk with one thread and conns connections for d against url
// and returns the requests per second and wrk's report of failed requests
// (socket errors, non-2xx answers), "" if there were none.
func runWrk(ctx context.Context, url string, d time.Duration, conns int) (float64, string, error) {
	bin, err := lookWrk()
	if err != nil {
		return 0, "", err
	}
	secs := max(1, int(d.Round(time.Second)/time.Second))
	out, err := exec.CommandContext(ctx, bin, "-t1", fmt.Sprintf("-c%d", conns), fmt.Sprintf("-d%ds", secs), url).CombinedOutput()
	if err != nil {
		return 0, "", fmt.Errorf("wrk: %w\n%s", err, out)
	}
	return parseWrk(out)
}

// parseWrk reads the request rate and the failure lines from wrk's report.
func parseWrk(out []byte) (float64, string, error) {
	m := wrkRate.FindSubmatch(out)
	if m == nil {
		return 0, "", fmt.Errorf("wrk printed no Requests/sec line:\n%s", out)
	}
	rate, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		return 0, "", fmt.Errorf("wrk: bad rate %q", m[1])
	}
	var failures []string
	for _, f := range wrkFailure.FindAllSubmatch(out, -1) {
		failures = append(failures, string(f[1]))
	}
	return rate, strings.Join(failures, "; "), nil
}
