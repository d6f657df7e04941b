package backoffice

import "strings"

// Who names the person behind an act: by when given (--by, a login of the
// web page), else the one behind sudo, else the login name, as getenv
// reads them ($SUDO_USER, $USER, $LOGNAME); "unknown user" when none is set.
// Every act of the back office records its person this way.
func Who(by string, getenv func(string) string) string {
	if s := strings.TrimSpace(by); s != "" {
		return s
	}
	if getenv != nil {
		for _, v := range []string{"SUDO_USER", "USER", "LOGNAME"} {
			if s := strings.TrimSpace(getenv(v)); s != "" {
				return s
			}
		}
	}
	return "unknown user"
}
