package display_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/sbpd/sbpd/display"
)

const nspk = "https://qr.nspk.ru/AD10001234ABCDEFGHIJKLMNOPQRSTUV?type=02&bank=100000000111&sum=25990&cur=RUB&crc=1A2B"

func decode(t *testing.T, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("the QR does not decode: %v", err)
	}
	return res.GetText()
}

func dark(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return r+g+b < 3*0x8000
}

// TestQRPNG: every module is ppm×ppm pixels, the quiet zone is four light
// modules, and the image reads back as the payload.
func TestQRPNG(t *testing.T) {
	n, err := display.QRModules(nspk)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ ppm, minSide, wantPPM int }{
		{1, 0, 1}, {8, 0, 8}, {0, 512, (512 + n - 1) / n}, {0, 10, 1}, {99, 0, 32},
	} {
		b, err := display.QRPNG(nspk, c.ppm, c.minSide)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		side := img.Bounds().Dx()
		if side != n*c.wantPPM || img.Bounds().Dy() != side {
			t.Errorf("ppm %d min %d: image %v, want %d×%d (%d modules × %d px)", c.ppm, c.minSide, img.Bounds(), n*c.wantPPM, n*c.wantPPM, n, c.wantPPM)
			continue
		}
		quiet := 4 * c.wantPPM
		for i := 0; i < side; i++ {
			for j := 0; j < quiet; j++ {
				if dark(img.At(i, j)) || dark(img.At(j, i)) || dark(img.At(i, side-1-j)) || dark(img.At(side-1-j, i)) {
					t.Fatalf("ppm %d: a dark pixel in the quiet zone near (%d,%d)", c.wantPPM, i, j)
				}
			}
		}
		if !dark(img.At(quiet, quiet)) {
			t.Errorf("ppm %d: the finder pattern does not start right after the quiet zone", c.wantPPM)
		}
		if c.wantPPM >= 2 {
			if got := decode(t, img); got != nspk {
				t.Errorf("reads %q", got)
			}
		}
	}
}
