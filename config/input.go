package config

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"
	"golang.org/x/term"
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
		return "", refuse(RValueRefused, "read the value of %s: %v", key, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxValueFile+1))
	if err != nil {
		return "", fmt.Errorf("read the value of %s: %w", key, err)
	}
	if len(b) > MaxValueFile {
		return "", refuse(RValueRefused, "read the value of %s: %s is larger than %d KB: it is not a setting's value", key, path, MaxValueFile>>10)
	}
	v := strings.TrimSuffix(string(b), "\n")
	return strings.TrimSuffix(v, "\r"), nil
}

// ReadValueLine reads key's value as the first line of r (standard input
// that is not a terminal), its line break trimmed; a line longer than
// MaxValueFile is refused (RValueRefused) without reading on.
func ReadValueLine(r io.Reader, key string) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, MaxValueFile+3)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the value of %s from standard input: %w", key, err)
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if len(line) > MaxValueFile {
		return "", refuse(RValueRefused, "read the value of %s: standard input holds more than %d KB on its first line: it is not a setting's value", key, MaxValueFile>>10)
	}
	return line, nil
}

// ArgValue is value given for k on the command line: refused when it is a
// secret, which would stay in the shell history and show in the process
// list (RSecretArgument); the refusal says how to give it.
func ArgValue(k Key, value string) (string, error) {
	if !k.IsSecretValue(value) {
		return value, nil
	}
	what := "is a secret"
	if !k.Secret {
		what = "holds a user and password or a query, which are secret"
	}
	return "", refuse(RSecretArgument, "%s %s: it is not taken on the command line, where it would stay in the shell history and show in the process list; "+
		"give it on standard input (sbpd settings set %s -) or from a file (sbpd settings set %s --from-file FILE)", k.Name, what, k.Name, k.Name)
}

// InputValue is value, however given, as the till settings store it:
// normalized, and refused when it is a URL whose user and password or
// query are masked as sbpd shows them (RMaskedURL).
func InputValue(k Key, value string) (string, error) {
	if k.Credentials && IsMaskedURL(value) {
		return "", refuse(RMaskedURL, "%s: the user and password or the query in %s are masked, as sbpd shows and exports them: give the real URL on standard input (sbpd settings set %s -)", k.Name, value, k.Name)
	}
	return Normalize(k.Name, value)
}

// MaxImportFile bounds a settings file to import: one made by export is a
// few kilobytes.
const MaxImportFile = 64 << 10

// ReadImport reads and checks a settings file for `sbpd settings import`
// from r, named name in errors; nothing is to be imported when any key or
// value is refused, or the file is larger than MaxImportFile
// (RImportRefused).
func ReadImport(r io.Reader, name string) (Import, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxImportFile+1))
	if err != nil {
		return Import{}, fmt.Errorf("%s: %w", name, err)
	}
	if len(b) > MaxImportFile {
		return Import{}, refuse(RImportRefused, "%s: larger than %d KB: it is not a settings file made by sbpd settings export", name, MaxImportFile>>10)
	}
	values, err := ReadTillFile(bytes.NewReader(b))
	if err != nil {
		return Import{}, refuse(RImportRefused, "%s: %v", name, err)
	}
	im := ImportTill(values)
	if len(im.Errs) > 0 {
		return Import{}, refuse(RImportRefused, "nothing was imported from %s:\n%s", name, strings.Join(im.Errs, "\n"))
	}
	return im, nil
}

// ReadImportFile reads and checks the settings file name (ReadImport);
// "-" reads stdin.
func ReadImportFile(name string, stdin io.Reader) (Import, error) {
	if name == "-" {
		return ReadImport(stdin, name)
	}
	f, err := os.Open(name)
	if err != nil {
		return Import{}, refuse(RImportRefused, "%v", err)
	}
	defer f.Close()
	return ReadImport(f, name)
}

// ValueInput is where `sbpd settings set` takes a value from: the VALUE
// argument, standard input when it is -, or a file.
type ValueInput struct {
	Arg      string    // VALUE as given on the command line; "-" reads In
	FromFile bool      // read the value from File instead (--from-file FILE)
	File     string    // the file, its line break trimmed (ReadValueFile)
	In       io.Reader // standard input: read without echo when it is a terminal
	Prompt   io.Writer // where a terminal is asked for the value
}

// SetValue is the till key name and the value to store for it, however
// given (in): the key checked first (TillKey), then the value read from a
// file (ReadValueFile), standard input (readValue) or the argument, which
// takes no secret (ArgValue), and normalized (InputValue). It opens
// nothing but the file or standard input, so that every refusal comes
// before the kiosk is opened.
func SetValue(name string, in ValueInput) (Key, string, error) {
	k, err := TillKey(name)
	if err != nil {
		return k, "", err
	}
	var value string
	switch {
	case in.FromFile:
		value, err = ReadValueFile(k.Name, in.File)
	case in.Arg == "-" && in.In == nil:
		err = refuse(RValueRefused, "read the value of %s: there is no standard input to read", k.Name)
	case in.Arg == "-":
		value, err = readValue(in.In, in.Prompt, k.Name)
	default:
		value, err = ArgValue(k, in.Arg)
	}
	if err != nil {
		return k, "", err
	}
	value, err = InputValue(k, value)
	return k, value, err
}

// readValue reads key's value from in: without echo on a terminal, after
// asking for it on prompt; otherwise the first line (ReadValueLine).
func readValue(in io.Reader, prompt io.Writer, key string) (string, error) {
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if prompt == nil {
			prompt = io.Discard
		}
		fmt.Fprintf(prompt, "%s: ", key)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(prompt)
		return string(b), err
	}
	return ReadValueLine(in, key)
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
