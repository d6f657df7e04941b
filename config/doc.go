// Package config turns the template file (YAML), SBPD_… environment
// variables and command-line flags into one typed, validated Config. It is
// the only package that imports viper. Every key has a default, a
// description and a validation rule; an error names the key, the bad value,
// where it came from and what is allowed (design.md section 5).
package config
