package account

import (
	"fmt"
	"html/template"
	"strings"

	"rsc.io/qr"
)

// qrQuietZone is the blank border (in modules) scanners need around a code.
const qrQuietZone = 4

// qrSVG draws text as a QR code in inline SVG: one path of unit squares in a
// viewBox, so it scales crisply, needs no image request or data: URL, and
// stays within the pages' Content-Security-Policy. The markup is built from
// numbers only, which is why it is safe to mark as template.HTML.
func qrSVG(text string) (template.HTML, error) {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return "", fmt.Errorf("account: encode QR code: %w", err)
	}
	n := code.Size + 2*qrQuietZone
	var d strings.Builder
	for y := 0; y < code.Size; y++ {
		for x := 0; x < code.Size; x++ {
			if code.Black(x, y) {
				fmt.Fprintf(&d, "M%d %dh1v1h-1z", x+qrQuietZone, y+qrQuietZone)
			}
		}
	}
	svg := fmt.Sprintf(`<svg class="qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="QR code for your authenticator app" shape-rendering="crispEdges">`+
		`<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="%s"/></svg>`, n, n, n*5, n*5, n, n, d.String())
	return template.HTML(svg), nil
}
