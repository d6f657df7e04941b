package config

import "time"

// Setting is one key as a technician sees it: the value in use (secrets
// masked), where it comes from, its type, default, rule and description,
// and who last changed it in the till settings. `sbpd settings list --json`
// prints these.
type Setting struct {
	Key          string     `json:"key"`
	Value        string     `json:"value"` // secrets masked
	Source       string     `json:"source"`
	Type         string     `json:"type"`
	Default      string     `json:"default"`
	Allowed      string     `json:"allowed,omitempty"`
	Description  string     `json:"description"`
	Secret       bool       `json:"secret,omitempty"`
	TemplateOnly bool       `json:"template_only,omitempty"`
	Restart      bool       `json:"restart,omitempty"`
	UpdatedAt    *time.Time `json:"updated_at,omitempty"` // of the till setting
	UpdatedBy    string     `json:"updated_by,omitempty"`
}

// Describe is key k of c as a Setting; changed says when and by whom the
// till setting was last written (ok false: it is not in the till settings).
func (c *Config) Describe(k Key, changed func(key string) (at time.Time, by string, ok bool)) Setting {
	s := Setting{Key: k.Name, Value: c.Value(k.Name), Source: c.Source(k.Name), Type: string(k.Type),
		Default: c.Layers(k.Name)[0].Value, Allowed: k.Rule, Description: k.Description,
		Secret: k.Secret, TemplateOnly: k.TemplateOnly, Restart: k.Restart}
	if changed != nil {
		if at, by, ok := changed(k.Name); ok {
			s.UpdatedAt, s.UpdatedBy = &at, by
		}
	}
	return s
}
