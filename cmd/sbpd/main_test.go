package main

import (
	"fmt"
	"os"
	"testing"
)

// TestMain gives the printer's lock files a temporary directory, so that
// the tests leave none in /run/lock.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sbpd-locks-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	serialLockDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
