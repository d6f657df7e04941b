package display

import (
	"fmt"

	"github.com/skip2/go-qrcode"
)

// QR error correction: Medium (15%) survives a scratched screen or a glare
// spot and keeps a 110-character NSPK link at version 6 (41 modules).
const qrLevel = qrcode.Medium

// maxModulePixels bounds the ?ppm= a page may ask for.
const maxModulePixels = 32

// QRPNG draws payload as a PNG, dark on white, with the standard quiet zone
// of four modules, every module exactly ppm×ppm pixels: the image side is a
// whole multiple of the module count, so nothing is resampled and the edges
// stay sharp. ppm <= 0 picks the smallest ppm that makes the image at least
// minSide pixels wide.
func QRPNG(payload string, ppm, minSide int) ([]byte, error) {
	q, err := qrcode.New(payload, qrLevel)
	if err != nil {
		return nil, fmt.Errorf("display: QR for a %d-byte link: %w", len(payload), err)
	}
	if ppm <= 0 {
		n := len(q.Bitmap()) // modules, quiet zone included
		ppm = max(1, (minSide+n-1)/n)
	}
	return q.PNG(-min(ppm, maxModulePixels))
}

// QRModules is the side of payload's QR in modules, quiet zone included.
func QRModules(payload string) (int, error) {
	q, err := qrcode.New(payload, qrLevel)
	if err != nil {
		return 0, err
	}
	return len(q.Bitmap()), nil
}

// QRText draws payload with half-block characters, two modules a character
// cell, quiet zone included (go-qrcode's ToSmallString). Light modules are
// drawn as blocks, for a light-on-dark terminal; inverse is for a dark-on-
// light one.
func QRText(payload string, inverse bool) (string, error) {
	q, err := qrcode.New(payload, qrLevel)
	if err != nil {
		return "", err
	}
	return q.ToSmallString(inverse), nil
}
