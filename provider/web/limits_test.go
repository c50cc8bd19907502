package web

import (
	"time"

	"github.com/ostiary/ostiary/provider/throttle"
)

// testLimiter is the login throttle with the limits the binary runs with
// (provider.DefaultConfig's): a Limiter takes no defaults of its own.
func testLimiter(st throttle.Store, now func() time.Time) *throttle.Limiter {
	return &throttle.Limiter{Store: st, Now: now,
		AccountLimit: throttle.DefaultAccountLimit, AccountWindow: throttle.DefaultAccountWindow,
		IPLimit: throttle.DefaultIPLimit, IPWindow: throttle.DefaultIPWindow, DeviceLimit: throttle.DefaultDeviceLimit}
}
