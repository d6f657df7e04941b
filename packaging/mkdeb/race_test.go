//go:build race

package main

// Under `go test -race` the sbpd binary for the package tests is built with
// -race too: the race build of go-sqlite3 is then already in the build
// cache, and a plain build would compile its C code again.
func init() { raceBuild = true }
