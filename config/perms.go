package config

import (
	"fmt"
	"os"
	"strings"
)

// permsWarning warns when the template file at path, which sets the secret
// keys named, can be read or written by users other than its owner and
// group: anybody logged in to the kiosk could read the PayMaster token.
// It says nothing when the file holds no secret or cannot be stat'ed.
func permsWarning(what, path string, secrets []string) string {
	if len(secrets) == 0 {
		return ""
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm()&0o007 == 0 {
		return ""
	}
	return fmt.Sprintf("%s %s holds secrets (%s) and is readable by other users (mode %04o); fix: chmod 640 %s (owner root, group sbpd)",
		what, path, strings.Join(secrets, ", "), fi.Mode().Perm(), path)
}
