package config

import "fmt"

// Validate checks every key against its rule, then the rules between keys.
// Each problem names the key, the value, where the value came from and
// what is allowed; a rule between keys names the other key's value and
// source too.
func (c *Config) Validate() error {
	ps := append([]Problem(nil), c.loadProblems()...)
	for _, k := range Keys {
		if c.bad[k.Name] {
			continue // reported by the loader with the value as written
		}
		v := c.get(k.Name)
		if k.Type == Enum {
			if _, rule := parse(k, format(v)); rule != "" {
				ps = append(ps, c.problem(k.Name, "%s", k.Rule))
			}
			continue
		}
		if k.ok != nil && !k.ok(v) {
			ps = append(ps, c.problem(k.Name, "%s", k.Rule))
		}
	}
	return asError(append(ps, c.crossProblems()...))
}

// crossProblems checks the rules between keys.
func (c *Config) crossProblems() []Problem {
	var ps []Problem
	needs := func(key, other, what string) {
		if c.bad[key] || c.bad[other] {
			return
		}
		ps = append(ps, c.problem(key, "needs %s (%s), which is not set (%s)", other, what, c.Source(other)))
	}
	than := func(key, rule, other string) {
		if c.bad[key] || c.bad[other] {
			return
		}
		ps = append(ps, c.problem(key, "%s %s = %s (%s)", rule, other, c.shownValue(other), c.Source(other)))
	}
	if c.SBP.QRMode == 0 && c.Printer.Port == "" {
		needs("sbp.qr_mode", "printer.port", "the receipt printer's serial port, e.g. /dev/ttyS0")
	}
	if c.SBP.QRMode == 2 && c.PayMaster.StickerID == "" {
		needs("sbp.qr_mode", "paymaster.sticker_id", "the id of the kiosk's cash-link sticker")
	}
	if c.SBP.StatusTimeout <= c.SBP.PollInterval {
		than("sbp.status_timeout", "must be longer than", "sbp.poll_interval")
	}
	if c.SBP.InvoiceTTL < c.SBP.StatusTimeout {
		than("sbp.invoice_ttl", "must be at least", "sbp.status_timeout")
	}
	if c.APIToken == "" && !c.bad["listen"] && isHostPort(c.Listen) && !isLoopback(c.Listen) {
		needs("listen", "api.token", "the Bearer token the till must send, as the address is not loopback")
	}
	return ps
}

// loadProblems are the problems the loader found: values that could not be
// read and keys in a layer where they do not belong.
func (c *Config) loadProblems() []Problem {
	var ps []Problem
	for _, k := range Keys {
		if v, ok := c.misplaced[k.Name]; ok {
			ps = append(ps, Problem{Key: k.Name, Message: fmt.Sprintf("%s = %s (%s): %s; remove it with `sbpd settings unset %s`",
				k.Name, v, SourceTill, templateOnly(k), k.Name)})
		}
		if c.bad[k.Name] {
			ls := c.layers[k.Name]
			_, rule := parse(k, ls[len(ls)-1].raw)
			ps = append(ps, c.problem(k.Name, "%s", rule))
		}
	}
	return ps
}

// templateOnly says where a template-only key belongs.
func templateOnly(k Key) string {
	return "belongs in the cash-desk template, not in the per-till settings: " + k.Why
}

// TillKey returns the key that `sbpd settings set` may store in the
// per-till settings, or a refusal naming close matches for an unknown key
// (RUnknownKey) or saying where a template-only key belongs (RTemplateOnly).
func TillKey(name string) (Key, error) {
	k, ok := Lookup(name)
	if !ok {
		return Key{}, UnknownKeyError(name)
	}
	if k.TemplateOnly {
		return k, refuse(RTemplateOnly, "%s %s", k.Name, templateOnly(k))
	}
	return k, nil
}
