package config

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"
)

// MaxValueFile bounds what a value read from a file may be.
const MaxValueFile = 64 << 10

// ReadValueFile reads key's value from the file at path, for `sbpd settings
// set KEY --from-file FILE`: the file's text with its one trailing line
// break trimmed. A second line stays in the value, which the key's rule
// then refuses (no setting takes a line break), rather than being dropped
// unseen.
func ReadValueFile(key, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("read the value of %s: %w", key, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxValueFile+1))
	if err != nil {
		return "", fmt.Errorf("read the value of %s: %w", key, err)
	}
	if len(b) > MaxValueFile {
		return "", fmt.Errorf("read the value of %s: %s is larger than %d KB: it is not a setting's value", key, path, MaxValueFile>>10)
	}
	v := strings.TrimSuffix(string(b), "\n")
	return strings.TrimSuffix(v, "\r"), nil
}

// ReadValueLine reads key's value as the first line of r (standard input
// that is not a terminal), its line break trimmed.
func ReadValueLine(r io.Reader, key string) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the value of %s from standard input: %w", key, err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// ArgValue is value given for k on the command line: refused when it is a
// secret, which would stay in the shell history and show in the process
// list; the error says how to give it.
func ArgValue(k Key, value string) (string, error) {
	if !k.IsSecretValue(value) {
		return value, nil
	}
	what := "is a secret"
	if !k.Secret {
		what = "holds a user and password"
	}
	return "", fmt.Errorf("%s %s: it is not taken on the command line, where it would stay in the shell history and show in the process list; "+
		"give it on standard input (sbpd settings set %s -) or from a file (sbpd settings set %s --from-file FILE)", k.Name, what, k.Name, k.Name)
}

// InputValue is value, however given, as the till settings store it:
// normalized, and refused when it is a URL whose user and password are
// masked as sbpd shows them.
func InputValue(k Key, value string) (string, error) {
	if k.Credentials && IsMaskedURL(value) {
		return "", fmt.Errorf("%s: the user and password in %s are masked, as sbpd shows and exports them: give the real URL on standard input (sbpd settings set %s -)", k.Name, value, k.Name)
	}
	return Normalize(k.Name, value)
}

// ReadImport reads and checks a settings file for `sbpd settings import`
// from r, named name in errors; nothing is to be imported when any key or
// value is refused.
func ReadImport(r io.Reader, name string) (Import, error) {
	values, err := ReadTillFile(r)
	if err != nil {
		return Import{}, fmt.Errorf("%s: %w", name, err)
	}
	im := ImportTill(values)
	if len(im.Errs) > 0 {
		return Import{}, fmt.Errorf("nothing was imported from %s:\n%s", name, strings.Join(im.Errs, "\n"))
	}
	return im, nil
}

// SplitSetArgs tells the words of `sbpd settings set KEY VALUE` from its
// flags (fs): the word after KEY is the VALUE even when it starts with -
// (sbp.status_timeout -5s), unless it is one of fs's flags; a flag's value
// goes with it; everything after -- is a word.
func SplitSetArgs(fs *pflag.FlagSet, raw []string) (args, flags []string) {
	for i := 0; i < len(raw); i++ {
		a := raw[i]
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := fs.Lookup(name)
		if f == nil && len(name) == 1 && !strings.HasPrefix(a, "--") {
			f = fs.ShorthandLookup(name)
		}
		switch {
		case a == "--":
			return append(args, raw[i+1:]...), flags
		case a == "-" || !strings.HasPrefix(a, "-") || (len(args) == 1 && f == nil):
			args = append(args, a)
		default:
			flags = append(flags, a)
			if f != nil && f.NoOptDefVal == "" && !hasValue && i+1 < len(raw) {
				flags = append(flags, raw[i+1])
				i++
			}
		}
	}
	return args, flags
}
