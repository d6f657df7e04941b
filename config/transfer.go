package config

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"time"
)

// Export is what `sbpd settings export` writes of a till's own settings.
type Export struct {
	Values   map[string]string // key → value as written to the file
	Comments []string          // for the file's head: what was left out and how to set it
	Notes    []string          // for the technician: rows that do not belong in the till settings
}

// ExportTill chooses what of the till settings till goes into an exported
// file: secrets as SecretMarker, a URL's user, password and query masked, till.id
// only with keepID (every kiosk needs its own), keys sbpd does not know or
// that belong in the template not at all.
func ExportTill(till map[string]string, keepID bool) Export {
	e := Export{Values: map[string]string{}}
	for _, key := range slices.Sorted(maps.Keys(till)) {
		v := till[key]
		k, known := Lookup(key)
		switch {
		case !known || k.TemplateOnly:
			e.Notes = append(e.Notes, fmt.Sprintf("%s is not exported: it does not belong in the till settings (remove it with `sbpd settings unset %s`)", key, key))
		case k.Secret:
			e.Values[key] = SecretMarker
			e.Comments = append(e.Comments, fmt.Sprintf("%s is a secret and is not exported: set it there with `sbpd settings set %s -`", key, key))
		case k.IsSecretValue(v):
			e.Values[key] = k.Masked(v)
			e.Comments = append(e.Comments, fmt.Sprintf("%s holds a user and password or a query, which are secret and not exported (import skips it): set it there with `sbpd settings set %s -`", key, key))
		case key == "till.id" && !keepID:
			e.Comments = append(e.Comments, fmt.Sprintf("till.id (%s) is not exported: every kiosk needs its own; set it there with `sbpd settings set till.id …`", v))
		default:
			e.Values[key] = v
		}
	}
	return e
}

// Write writes e as `sbpd settings export` does: a head saying where
// (from) and when (at) it was taken and how to use it, what was left out,
// then the values (WriteTillFile).
func (e Export) Write(w io.Writer, from string, at time.Time) error {
	comments := append([]string{
		fmt.Sprintf("sbpd till settings from %s, %s", from, at.UTC().Format(time.RFC3339)),
		"Set up another kiosk with: sbpd settings import FILE",
	}, e.Comments...)
	return WriteTillFile(w, e.Values, comments)
}

// Import is a settings file checked key by key for the till settings.
type Import struct {
	Values  map[string]string // normalized values to set
	Skipped []string          // secrets and masked URLs left as they are
	Notes   []string          // why each was skipped
	Errs    []string          // keys or values refused; nothing is imported then
}

// ImportTill checks the values of a settings file for the till settings:
// secrets (SecretMarker) and URLs with masked credentials are skipped, so
// that the values in place stay; every other key must be a till key with a
// valid value.
func ImportTill(values map[string]string) Import {
	im := Import{Values: map[string]string{}}
	for _, key := range slices.Sorted(maps.Keys(values)) {
		v := values[key]
		k, known := Lookup(key)
		switch {
		case v == SecretMarker:
			im.Skipped = append(im.Skipped, key)
			im.Notes = append(im.Notes, fmt.Sprintf("%s was skipped: secrets are not exported; set it with `sbpd settings set %s -`", key, key))
			continue
		case known && k.Credentials && IsMaskedURL(v):
			im.Skipped = append(im.Skipped, key) // the masked URL must not replace the real one
			im.Notes = append(im.Notes, fmt.Sprintf("%s was skipped: its user and password or its query are not exported; set it with `sbpd settings set %s -`", key, key))
			continue
		}
		if _, err := TillKey(key); err != nil {
			im.Errs = append(im.Errs, err.Error())
			continue
		}
		n, err := Normalize(key, v)
		if err != nil {
			im.Errs = append(im.Errs, err.Error())
			continue
		}
		im.Values[key] = n
	}
	return im
}

// Next is the till settings after the import: cur with the imported values
// on top; with replace, the keys the file does not mention are removed,
// except those it skipped.
func (im Import) Next(cur map[string]string, replace bool) map[string]string {
	next := maps.Clone(cur)
	if replace {
		for key := range cur {
			if !slices.Contains(im.Skipped, key) {
				delete(next, key)
			}
		}
	}
	maps.Copy(next, im.Values)
	return next
}

// TillChanges are the writes that turn the till settings cur into next.
func TillChanges(cur, next map[string]string) (set map[string]string, unset []string) {
	set = map[string]string{}
	for key, v := range next {
		if old, ok := cur[key]; !ok || old != v {
			set[key] = v
		}
	}
	for _, key := range slices.Sorted(maps.Keys(cur)) {
		if _, ok := next[key]; !ok {
			unset = append(unset, key)
		}
	}
	return set, unset
}
