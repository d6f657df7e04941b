package config

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// EnvFileName is the secrets file read beside the template: the Debian
// package keeps SBPD_PAYMASTER_TOKEN and the other secrets in
// /etc/sbpd/sbpd.env (root:sbpd 0640), which systemd passes to the daemon
// as its environment (EnvironmentFile=). Reading it here too gives the
// technician's commands (doctor, settings, journal) the same settings as
// the daemon without exporting anything by hand.
const EnvFileName = "sbpd.env"

// maxEnvFile bounds what is read of an environment file.
const maxEnvFile = 64 << 10

// envFilePath is the environment file for o: Options.EnvFile, or
// sbpd.env beside the template file.
func envFilePath(o Options) string {
	if o.EnvFile != "" {
		return o.EnvFile
	}
	if o.Path == "" || o.Path == "-" || o.Template != nil {
		return ""
	}
	return filepath.Join(filepath.Dir(o.Path), EnvFileName)
}

// readEnvFile reads path's SBPD_… assignments. A missing file is no file;
// an unreadable one is a warning, not an error: the daemon gets the same
// values from systemd.
func (c *Config) readEnvFile(path string) map[string]string {
	if path == "" {
		return nil
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err == nil {
		if st, serr := f.Stat(); serr == nil && !st.Mode().IsRegular() {
			f.Close()
			c.warnings = append(c.warnings, fmt.Sprintf("environment file %s is not a regular file (%s); the settings in it are not used", path, st.Mode().Type()))
			return nil
		}
	}
	if err != nil {
		c.warnings = append(c.warnings, fmt.Sprintf("environment file %s cannot be read (%v); the settings in it are not used here (run as root, or as the sbpd user)", path, errors.Unwrap(err)))
		return nil
	}
	defer f.Close()
	vars, problems := ParseEnvFile(f)
	for _, p := range problems {
		c.warnings = append(c.warnings, fmt.Sprintf("environment file %s: %s", path, p))
	}
	c.envFile = path
	return vars
}

// envName reports whether s is a variable name: [A-Za-z_][A-Za-z0-9_]*.
func envName(s string) bool {
	for i, c := range s {
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return s != ""
}

// ParseEnvFile reads systemd EnvironmentFile= lines: KEY=VALUE, blank
// lines and lines starting with # or ; are skipped, a value may be in
// single or double quotes. It returns the SBPD_… variables that name a
// key; other SBPD_ variables and malformed lines are problems (the line
// number and what is wrong, never the value: it may be a secret).
// Variables not starting with SBPD_ are left alone.
func ParseEnvFile(r io.Reader) (vars map[string]string, problems []string) {
	vars = map[string]string{}
	byEnv := map[string]bool{}
	for _, k := range Keys {
		byEnv[EnvName(k.Name)] = true
	}
	sc := bufio.NewScanner(io.LimitReader(r, maxEnvFile))
	sc.Buffer(make([]byte, 0, 4096), maxEnvFile)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		name = strings.TrimSpace(name)
		if !ok || !envName(name) {
			problems = append(problems, fmt.Sprintf("line %d is not NAME=VALUE; it is ignored", n))
			continue
		}
		if !strings.HasPrefix(name, "SBPD_") {
			continue
		}
		if !byEnv[name] { // names are [A-Za-z0-9_]: safe to show
			problems = append(problems, fmt.Sprintf("line %d: %s is not a setting of sbpd; it is ignored", n, name))
			continue
		}
		value = strings.TrimSpace(value)
		if len(value) >= 2 && (value[0] == '"' || value[0] == '\'') && value[len(value)-1] == value[0] {
			value = value[1 : len(value)-1]
		}
		vars[name] = value
	}
	if err := sc.Err(); err != nil {
		problems = append(problems, fmt.Sprintf("stopped reading after line %d: %v", n, err))
	}
	return vars, problems
}
