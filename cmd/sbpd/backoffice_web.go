package main

import (
	"context"
	"io"
	"net/http"

	"github.com/sbpd/sbpd/config"
	"github.com/sbpd/sbpd/drivers/export"
	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/backoffice"
	"github.com/sbpd/sbpd/plugin/backoffice/web"
	"github.com/sbpd/sbpd/plugin/doctor"
)

// backofficeWeb is the technician's web back office at /backoffice/
// (plugin/backoffice/web): sbpd journal's back office, of the settings in
// force after every reload, with the export, doctor, the settings and the
// printer behind its func fields.
func (d *Daemon) backofficeWeb() http.Handler {
	cur := web.Memo(d.current.Load, func(cfg *config.Config) (*backoffice.Service, error) { return backOffice(d.DB, cfg) }, d.Logger)
	return web.New(web.Options{Service: cur(), Current: cur, Token: d.Config.APIToken, Clock: d.Clock, Zone: journalZone(), Version: version,
		Export: func(ctx context.Context, w io.Writer, f plugin.Filter, format string) (int64, error) {
			return export.Write(ctx, d.DB.Journal(), f, export.Format(format), w, export.Options{Zone: journalZone()})
		},
		Doctor: d.doctorChecks, Settings: d.settingsInForce,
		Printer: func(ctx context.Context) string { return d.printerHealth(ctx).Status },
	})
}

// settingsInForce are the running daemon's settings with their sources,
// secrets masked by config.
func (d *Daemon) settingsInForce() []web.Setting {
	cfg, out := d.current.Load(), []web.Setting{}
	for _, k := range config.Keys {
		s := cfg.Describe(k, nil)
		out = append(out, web.Setting{Key: s.Key, Value: s.Value, Source: s.Source, Secret: s.Secret})
	}
	return out
}

// doctorChecks runs sbpd doctor's checks on the settings in force; the
// printer is asked through the daemon, which holds its port.
func (d *Daemon) doctorChecks(ctx context.Context) []web.Check {
	cfg := d.current.Load()
	ks := &kiosk{cfg: cfg, withTill: d.Layers != nil}
	if d.Layers != nil {
		ks.layers = *d.Layers
	}
	k := ks.doctorKiosk()
	k.Printer = d.printerHealth
	checks, done := doctor.Checks(ctx, k)
	defer done()
	rep := doctor.Run(ctx, checks, doctor.Options{Timeout: doctorLimits.Check, Secrets: cfg.Secrets()}, nil)
	out := make([]web.Check, len(rep.Checks))
	for i, c := range rep.Checks {
		out[i] = web.Check{Name: c.Name, Status: string(c.Status), Message: c.Message, Fix: c.Fix}
	}
	return out
}
