package main

import (
	"context"
	"time"

	"github.com/sbpd/sbpd/drivers/paymaster"
	"github.com/sbpd/sbpd/drivers/sqlite"
	"github.com/sbpd/sbpd/plugin"
	"github.com/sbpd/sbpd/plugin/doctor"
)

// The wiring of doctor's checks: the settings as plugin/doctor reads them,
// and the PayMaster, printer and journal drivers behind its interfaces.

// settings is how the settings loaded, with config's typed problems and
// the layer that holds each value.
func (d *kiosk) doctorSettings() doctor.Settings {
	ps, err := d.diagnosis()
	s := doctor.Settings{Loaded: d.cfg != nil, LoadErr: err, Problems: ps, Template: d.layers.Path, WithTill: d.withTill}
	if d.cfg != nil {
		s.TemplateRead, s.Warnings, s.Where = d.cfg.Template() != "", d.cfg.Warnings(), d.cfg.Origin
	}
	return s
}

// kiosk is what the checks look at, with the drivers behind them.
func (d *kiosk) doctorKiosk() *doctor.Kiosk {
	k := &doctor.Kiosk{Settings: d.doctorSettings(), Version: version, Limits: doctorLimits,
		DiskFree: diskFree, OpenJournal: openDoctorJournal}
	if d.cfg == nil {
		return k
	}
	c := d.cfg
	k.BaseURL, k.MerchantID, k.StickerID, k.QRMode = c.PayMaster.BaseURL, c.PayMaster.MerchantID, c.PayMaster.StickerID, c.SBP.QRMode
	k.PrinterPort, k.PrinterBaud, k.DataDir = c.Printer.Port, c.Printer.Baud, c.DataDir
	k.ModeFixes = d.modeFixes
	k.PayMaster = func() (doctor.PayMaster, error) {
		gw, err := newPayMaster(c, "sbpd-doctor", func(pmc *paymaster.Config) {
			if pmc.MerchantID == "" || pmc.Token == "" { // reachability does not need them: a refusal is an answer too
				pmc.MerchantID, pmc.Token = "00000000-0000-0000-0000-000000000000", "sbpd-doctor-no-token"
			}
			pmc.Timeout, pmc.RetryMax, pmc.RetryWaitMin, pmc.RetryWaitMax = doctorLimits.PayMasterTry, 1, 200*time.Millisecond, time.Second
		})
		if err != nil {
			return nil, err // a nil *paymaster.Gateway is no nil doctor.PayMaster
		}
		return gw, nil
	}
	k.Printer = func(ctx context.Context) plugin.PrinterHealth { return askPrinter(ctx, c) }
	return k
}

// openDoctorJournal opens the journal as the Journal check needs it.
func openDoctorJournal(path string) (doctor.Journal, error) {
	db, err := sqlite.Open(path)
	if err != nil {
		return nil, err // a nil *sqlite.DB is no nil doctor.Journal
	}
	return db, nil
}
