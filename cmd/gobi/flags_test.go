package main

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestProgramArgs(t *testing.T) {
	for _, tc := range []struct {
		rest   []string
		target string
		args   []string
		ok     bool
	}{
		{nil, "", nil, false},
		{[]string{"./hello"}, "./hello", []string{}, true},
		{[]string{"./hello", "a", "b"}, "./hello", []string{"a", "b"}, true},
		{[]string{"./hello", "--", "-exit", "0"}, "./hello", []string{"-exit", "0"}, true},
		{[]string{"img", "--", "--", "x"}, "img", []string{"--", "x"}, true},
		{[]string{"img", "-m", "--"}, "img", []string{"-m", "--"}, true},
	} {
		target, args, ok := programArgs(tc.rest)
		if target != tc.target || !slices.Equal(args, tc.args) || ok != tc.ok {
			t.Errorf("programArgs(%q) = %q, %q, %v; want %q, %q, %v", tc.rest, target, args, ok, tc.target, tc.args, tc.ok)
		}
	}
}

func TestEnvFlag(t *testing.T) {
	var e envFlag
	for _, v := range []string{"A=1", "B=", "C=x=y"} {
		if err := e.Set(v); err != nil {
			t.Errorf("Set(%q) = %v", v, err)
		}
	}
	if want := []string{"A=1", "B=", "C=x=y"}; !slices.Equal(e, want) {
		t.Errorf("envFlag = %q, want %q", e, want)
	}
	for _, v := range []string{"A", "=1", "", "A=\x00"} {
		if err := e.Set(v); err == nil {
			t.Errorf("Set(%q) succeeded, want an error", v)
		}
	}
}

// Flags go before PKG|IMAGE: what follows is the program's, even when it
// looks like a gobi flag.
func TestRunFlagsStopAtPackage(t *testing.T) {
	fs := newFlagSet("run", runUsage, &bytes.Buffer{})
	mem := fs.String("m", "256M", "")
	var env envFlag
	fs.Var(&env, "e", "")
	timeout := fs.Duration("timeout", 0, "")
	if _, ok := parseFlags(fs, strings.Fields("-m 1G -e A=1 -e B=2 -timeout 5s ./hello -m 2 -e C=3 -- x"), 125); !ok {
		t.Fatal("parse failed")
	}
	target, args, _ := programArgs(fs.Args())
	if *mem != "1G" || !slices.Equal(env, []string{"A=1", "B=2"}) || *timeout != 5*time.Second {
		t.Errorf("flags: -m %q, -e %q, -timeout %v", *mem, env, *timeout)
	}
	if target != "./hello" || !slices.Equal(args, []string{"-m", "2", "-e", "C=3", "--", "x"}) {
		t.Errorf("target %q, args %q", target, args)
	}
}

func TestTestArgs(t *testing.T) {
	for _, tc := range []struct {
		f    testFlags
		want []string
	}{
		{testFlags{count: 1, timeout: 10 * time.Minute}, []string{"-test.paniconexit0", "-test.timeout=10m0s"}},
		{testFlags{count: 3, timeout: time.Second, short: true, verbose: true, run: "TestX|TestY"},
			[]string{"-test.paniconexit0", "-test.timeout=1s", "-test.v=true", "-test.short=true", "-test.run=TestX|TestY", "-test.count=3"}},
		{testFlags{count: 1, json: true, verbose: true}, []string{"-test.paniconexit0", "-test.timeout=0s", "-test.v=test2json"}},
	} {
		if got := tc.f.testArgs(); !slices.Equal(got, tc.want) {
			t.Errorf("%+v.testArgs() = %q, want %q", tc.f, got, tc.want)
		}
	}
}

// Usage errors exit with the documented statuses and say what is wrong.
func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args   string
		status int
		stderr string
	}{
		{"", 2, "usage: gobi"},
		{"frobnicate", 2, `unknown command "frobnicate"`},
		{"run", 125, "missing PKG or IMAGE"},
		{"run -m 1X ./hello", 125, `bad memory size "1X"`},
		{"run -nosuchflag ./hello", 125, "flag provided but not defined"},
		{"run -target mars ./examples/hello", 125, `unknown -target "mars"`},
		{"build -arch arm64", 1, `unsupported -arch "arm64"`},
		{"build a b", 2, "one package at a time"},
		{"test", 2, "name the packages"},
		{"test -m 0 strings", 1, "below gobi's minimum"},
	} {
		var stdout, stderr bytes.Buffer
		status := run(context.Background(), strings.Fields(tc.args), strings.NewReader(""), &stdout, &stderr)
		if status != tc.status || !strings.Contains(stderr.String(), tc.stderr) {
			t.Errorf("gobi %s = %d, stderr %q; want %d, stderr containing %q", tc.args, status, stderr.String(), tc.status, tc.stderr)
		}
	}
}

func TestVersion(t *testing.T) {
	var stdout bytes.Buffer
	if status := run(context.Background(), []string{"version"}, nil, &stdout, &bytes.Buffer{}); status != 0 || !strings.Contains(stdout.String(), "go1.26.x") {
		t.Errorf("gobi version = %d, %q", status, stdout.String())
	}
}
