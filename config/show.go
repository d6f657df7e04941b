package config

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// History says when and by whom the till setting key was last written (ok
// false: it is not in the till settings). The till's database answers it.
type History func(key string) (at time.Time, by string, ok bool)

// DisplayValue is a value as the settings commands print it: an empty one
// as "".
func DisplayValue(v string) string {
	if v == "" {
		return `""`
	}
	return v
}

// WriteList is `sbpd settings list`: every key with the value in use
// (secrets masked) and where it comes from, as a table.
func WriteList(w io.Writer, c *Config) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tVALUE\tSOURCE")
	for _, key := range Keys {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", key.Name, DisplayValue(c.Value(key.Name)), c.Source(key.Name))
	}
	return tw.Flush()
}

// Listing is `sbpd settings list --json`: every key described, with the
// problems and warnings of the settings as resolved.
type Listing struct {
	Database string    `json:"database"`
	Template string    `json:"template"`
	Settings []Setting `json:"settings"`
	Problems []string  `json:"problems"`
	Warnings []string  `json:"warnings"`
}

// List describes every key of c for the till database at dbPath; ps are
// c's problems, changed the till settings' history.
func List(c *Config, ps []Problem, dbPath string, changed History) Listing {
	l := Listing{Database: dbPath, Template: c.Template(), Problems: []string{}, Warnings: c.Warnings()}
	for _, key := range Keys {
		l.Settings = append(l.Settings, c.Describe(key, changed))
	}
	for _, p := range ps {
		l.Problems = append(l.Problems, p.Message)
	}
	if l.Warnings == nil {
		l.Warnings = []string{}
	}
	return l
}

// WriteJSON writes l indented, with no HTML escaping.
func (l Listing) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(l)
}

// WriteVerbose is `sbpd settings get -v`: key k of c with its type,
// default, rule, description and the value in every layer, the till
// setting with who changed it.
func WriteVerbose(w io.Writer, c *Config, k Key, changed History) {
	d := c.Describe(k, changed)
	fmt.Fprintf(w, "%s = %s (%s)\n", k.Name, DisplayValue(d.Value), d.Source)
	fmt.Fprintf(w, "  type:     %s\n  default:  %s\n  allowed:  %s\n  about:    %s\n", d.Type, DisplayValue(d.Default), d.Allowed, d.Description)
	if k.TemplateOnly {
		fmt.Fprintf(w, "  per-till: no, %s\n", k.Why)
	}
	if k.Restart {
		fmt.Fprintln(w, "  a running daemon applies a change when it restarts")
	}
	for i, l := range c.Layers(k.Name) {
		label := "  layers:   "
		if i > 0 {
			label = "            "
		}
		line := label + l.Source + ": " + DisplayValue(l.Value)
		if l.Source == SourceTill && d.UpdatedAt != nil {
			line += fmt.Sprintf("  (%s, %s)", d.UpdatedBy, d.UpdatedAt.Format(time.RFC3339))
		}
		fmt.Fprintln(w, line)
	}
}

// WriteProblems writes head and then each problem indented, if there are
// any, and each warning on a line of its own.
func WriteProblems(w io.Writer, head string, ps []Problem, warnings []string) {
	if len(ps) > 0 {
		fmt.Fprintln(w, head)
		for _, p := range ps {
			fmt.Fprintln(w, "  "+p.Message)
		}
	}
	for _, msg := range warnings {
		fmt.Fprintln(w, "warning: "+msg)
	}
}

// SetNotes are what a technician should know after setting key in the
// till settings, with c the settings that result: a higher layer that
// overrides the till settings for key, a key a running daemon applies only
// when it restarts, and a warning about key's value (a merchant id that is
// not a GUID).
func SetNotes(c *Config, k Key) []string {
	var notes []string
	if src := c.Source(k.Name); src != SourceTill {
		notes = append(notes, fmt.Sprintf("%s overrides the till settings here: the value in use is %s", src, DisplayValue(c.Value(k.Name))))
	}
	if k.Restart {
		notes = append(notes, "a running daemon applies this when it restarts")
	}
	for _, w := range c.Warnings() {
		if strings.HasPrefix(w, k.Name+" = ") {
			notes = append(notes, w) // about the value just set
		}
	}
	return notes
}

// Completions are what a shell offers for a settings command's next
// argument after args, each "word\tmeaning": a key's name first; after a
// key, when values, an enum's values or a bool's.
func Completions(args []string, values bool) []string {
	var out []string
	switch {
	case len(args) == 0:
		for _, k := range Keys {
			out = append(out, k.Name+"\t"+k.Description)
		}
	case len(args) == 1 && values:
		k, _ := Lookup(args[0])
		for _, c := range k.Choices {
			out = append(out, c.Value+"\t"+c.Meaning)
		}
		if k.Type == Bool {
			out = append(out, "true", "false")
		}
	}
	return out
}
