// Package display is the kiosk screen: an embedded web page (no CDN: kiosks
// are often offline) fed by server-sent events, and the QR image drawn with
// go-qrcode. Screen implements plugin.Screen: the flow engine tells it about
// every committed change and it pushes the new state to every open page.
package display
