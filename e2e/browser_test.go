package e2e

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// newBrowser starts headless Chromium for one test. Without Chromium the
// test is skipped loudly, or fails under CI=true.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	var path string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("Chromium not found: install the Debian package chromium (.ci/run does)")
		}
		t.Skip("BROWSER TESTS SKIPPED: Chromium not found (apt-get install chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// The first run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// signInFrom opens start (an app's sign-in link, or a page that needs a
// sign-in) and signs in on the login page it leads to.
func signInFrom(t *testing.T, ctx context.Context, start, email, password string) {
	t.Helper()
	do(t, ctx,
		chromedp.Navigate(start),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Submit(chromedp.CSS("#password")),
	)
}

// do performs browser steps, failing the test with the page's address and
// text when one fails.
func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	actx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(actx, steps...); err != nil {
		dctx, dcancel := context.WithTimeout(ctx, 5*time.Second)
		defer dcancel()
		url, _ := chromedp.Run(dctx, chromedp.Location())
		text, _ := chromedp.Run(dctx, chromedp.Text(chromedp.CSS("body")))
		t.Fatalf("browser: %v\nat %s\n%s", err, url, text)
	}
}

// bodyText returns the visible text of the current page once body exists.
func bodyText(t *testing.T, ctx context.Context) string {
	t.Helper()
	actx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	text, err := chromedp.Run(actx, chromedp.Text(chromedp.CSS("body")))
	if err != nil {
		t.Fatalf("browser: read page: %v", err)
	}
	return text
}

// location returns the address of the current page.
func location(t *testing.T, ctx context.Context) string {
	t.Helper()
	url, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	return url
}

// waitText waits until the page's text contains want and returns the text.
func waitText(t *testing.T, ctx context.Context, want string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		text, err := chromedp.Run(actx, chromedp.Text(chromedp.CSS("body")))
		cancel()
		if err == nil && strings.Contains(text, want) {
			return text
		}
		if time.Now().After(deadline) {
			t.Fatalf("page at %s never showed %q; it shows:\n%s", location(t, ctx), want, text)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
