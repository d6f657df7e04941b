package config

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode"

	"github.com/spf13/viper"
)

// SecretMarker stands for a secret in an exported settings file: secrets
// are never exported, and importing the marker leaves the secret alone.
const SecretMarker = "<secret: set it with sbpd settings set>"

// ReadTillFile reads per-till settings as WriteTillFile writes them: YAML
// with a section per prefix (sbp:, paymaster:, ...) or flat dotted keys.
// Values come back as text; nothing else is checked here.
func ReadTillFile(r io.Reader) (map[string]string, error) {
	v := viper.New()
	v.SetConfigType("yaml")
	if err := v.ReadConfig(r); err != nil {
		// Not the YAML library's words: they quote the file, which may be
		// a secret given by mistake (a token file).
		if msg := err.Error(); strings.Contains(msg, "already defined at line ") {
			_, first, _ := strings.Cut(msg, "already defined at ")
			return nil, fmt.Errorf("settings file: a key is given twice (%s; first at %s): keep one", strings.Trim(yamlLine(msg), " ()"), strings.Trim(yamlLine(first), " ()"))
		}
		return nil, fmt.Errorf("settings file: not YAML with one key: value per line, as sbpd settings export writes%s", yamlLine(err.Error()))
	}
	keys := v.AllKeys()
	sort.Strings(keys)
	out := make(map[string]string, len(keys))
	for _, key := range keys {
		switch x := v.Get(key).(type) {
		case map[string]any, []any:
			return nil, fmt.Errorf("settings file: %s must be a single value, not a list or a section", key)
		case nil:
			out[key] = ""
		default:
			out[key] = format(x)
		}
	}
	return out, nil
}

// WriteTillFile writes values as YAML, in the order of Keys and grouped by
// section, after comment lines; keys sbpd does not know are left out.
// Values are written as given: the caller replaces secrets with
// SecretMarker.
func WriteTillFile(w io.Writer, values map[string]string, comments []string) error {
	bw := bufio.NewWriter(w)
	for _, c := range comments {
		fmt.Fprintln(bw, strings.TrimRight("# "+c, " "))
	}
	section := ""
	for _, k := range Keys {
		v, ok := values[k.Name]
		if !ok {
			continue
		}
		name := k.Name
		if sec, rest, dotted := strings.Cut(k.Name, "."); dotted {
			if sec != section {
				fmt.Fprintf(bw, "%s:\n", sec)
				section = sec
			}
			name = "  " + rest
		} else {
			section = ""
		}
		fmt.Fprintf(bw, "%s: %s\n", name, yamlValue(k, v))
	}
	return bw.Flush()
}

// yamlValue writes numbers and booleans bare and everything else as a
// double-quoted string (JSON's quoting is valid YAML).
func yamlValue(k Key, v string) string {
	if parsed, rule := parse(k, v); rule == "" && v != SecretMarker {
		switch parsed.(type) {
		case int, bool:
			return format(parsed)
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	return yamlEscape(strings.TrimSuffix(b.String(), "\n"))
}

// yamlEscape escapes what JSON leaves raw but YAML does not allow in a
// stream (DEL, the C1 controls, other non-printable runes), so that every
// value written reads back unchanged. JSON's own escapes are valid in a
// YAML double-quoted string.
func yamlEscape(quoted string) string {
	var b strings.Builder
	for _, r := range quoted {
		switch {
		case r < 0x7f || unicode.IsPrint(r):
			b.WriteRune(r)
		case r > 0xffff:
			fmt.Fprintf(&b, "\\U%08X", r)
		default:
			fmt.Fprintf(&b, "\\u%04X", r)
		}
	}
	return b.String()
}

// yamlLine is " (line N)" with the first line number in the YAML
// library's error text, or "".
func yamlLine(msg string) string {
	_, rest, ok := strings.Cut(msg, "line ")
	n := 0
	for n < len(rest) && n < 9 && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	if !ok || n == 0 {
		return ""
	}
	return " (line " + rest[:n] + ")"
}
