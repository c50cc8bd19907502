package account

import "strings"

// describeUserAgent names a browser and system from a User-Agent header, in a
// few words for the sessions list ("Firefox on Linux"). It only has to be
// recognizable to the user, not exact; unknown agents are shown as such.
func describeUserAgent(ua string) string {
	if strings.TrimSpace(ua) == "" {
		return "Unknown device"
	}
	browser := firstMatch(ua, []struct{ token, name string }{
		// Order matters: Edge and Opera say "Chrome" too, Chrome says "Safari".
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"HeadlessChrome/", "Headless Chrome"},
		{"Chromium/", "Chromium"}, {"Chrome/", "Chrome"}, {"Safari/", "Safari"}, {"curl/", "curl"},
	})
	system := firstMatch(ua, []struct{ token, name string }{
		{"Android", "Android"}, {"iPhone", "iPhone"}, {"iPad", "iPad"}, {"Windows", "Windows"},
		{"Mac OS X", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"},
	})
	switch {
	case browser != "" && system != "":
		return browser + " on " + system
	case browser != "":
		return browser
	case system != "":
		return "Browser on " + system
	}
	name, _, _ := strings.Cut(ua, " ")
	if len(name) > 40 {
		name = name[:40]
	}
	return strings.ToValidUTF8(name, "")
}

func firstMatch(ua string, table []struct{ token, name string }) string {
	for _, e := range table {
		if strings.Contains(ua, e.token) {
			return e.name
		}
	}
	return ""
}
