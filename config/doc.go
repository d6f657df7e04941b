// Package config resolves sbpd's settings into one typed, validated Config.
// It is the only package that imports viper.
//
// Settings come in layers, lowest to highest:
//
//	default          Keys
//	template         the cash-desk template file, YAML or TOML, shared by
//	                 the kiosks of a group: the integrator's
//	till settings    the per-till settings in the till's own database, edited
//	                 by a field technician with `sbpd settings` (a TillStore)
//	env              SBPD_… variables: sbp.qr_mode is SBPD_SBP_QR_MODE
//	flag             command-line flags named like keys: --listen
//
// Every key has a type, a default, a description and a rule; some are
// template-only and cannot be set per till. An error names the key, the bad
// value, where it came from and what is allowed:
//
//	sbp.qr_mode = 3 (till settings): must be 0 (print on receipt), 1 (screen) or 2 (sticker/NFC)
//
// Rules between keys name the other key's value and source too. Secrets
// (api.token, paymaster.token, notify.secret) are shown only as Mask(value)
// in errors, listings and Diff; the user and password and the query's values
// inside notify.url (Key.Credentials) only as plugin.RedactURL(value):
// https://***@host/path?token=***. Key.Masked shows any key's value that way,
// and Key.IsSecretValue says whether a value must stay off the command line.
// api.token and notify.secret need at least MinSecretLen characters;
// paymaster.base_url must be https:// except to this machine (the sandbox);
// an http:// notify.url to another host, and an api.token shorter than
// StrongTokenLen or plainly not random, are warnings (Config.Warnings).
//
// Open reads every layer and returns a valid Config or an error; Resolve
// returns the Config as resolved with its problems, to show what is set
// where; Load is Open without the till layer. CheckChange refuses a change
// of the till settings only for the problems it adds. A Watcher tells a
// running daemon that its settings changed; NeedRestart names the changed
// keys it applies only after a restart.
// Diff and Changed compare two Configs for a daemon that reloads its
// settings; ReadTillFile and WriteTillFile move a till's own settings as
// YAML. WriteList, List, WriteVerbose and WriteProblems render the settings
// for `sbpd settings`; SetValue (ReadValueFile, ReadValueLine, ArgValue,
// InputValue) takes a value for a key however it is given, and
// ReadImportFile checks a file to import.
//
// TillSettings is the technician's acts on the till layer, for the CLI and
// any other front end: View, Set, Unset, Import and Export, over a TillRows
// store (the till's database), the person acting given by the caller.
// Refusals are typed: a *ValidationError for a broken rule, or a
// *plugin.Error with one of the reasons RUnknownKey, RTemplateOnly,
// RSecretArgument, RMaskedURL, RImportRefused or RNoDataDir.
package config
