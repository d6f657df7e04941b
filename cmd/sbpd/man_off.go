//go:build !gendocs

package main

import "github.com/spf13/cobra"

func addGenDocs(*cobra.Command) {} // the daemon's build: no gen-docs (man.go)
