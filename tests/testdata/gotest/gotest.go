// Package gotest is the end-to-end tests' package for gobi test: its tests
// read testdata, write a temporary directory, and one fails on purpose.
package gotest

// Double returns twice n.
func Double(n int) int { return 2 * n }
