package throttle

// withLimits gives l the limits the binary runs with, where it sets none:
// a Limiter takes no defaults of its own.
func withLimits(l *Limiter) *Limiter {
	if l.AccountLimit == 0 {
		l.AccountLimit = DefaultAccountLimit
	}
	if l.AccountWindow == 0 {
		l.AccountWindow = DefaultAccountWindow
	}
	if l.IPLimit == 0 {
		l.IPLimit = DefaultIPLimit
	}
	if l.IPWindow == 0 {
		l.IPWindow = DefaultIPWindow
	}
	if l.DeviceLimit == 0 {
		l.DeviceLimit = DefaultDeviceLimit
	}
	return l
}

// WithLimits is withLimits for the package's external tests.
var WithLimits = withLimits
