package throttle

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"time"
)

// Device cookies, after OWASP's "Slow Down Online Guessing Attacks with
// Device Cookies": a browser that signed in to an account gets a cookie
// naming that account and a random nonce, signed with a key from the system
// secret. Failed sign-ins from a browser presenting a valid cookie for the
// account count against that device's own budget, not the account's, so an
// attacker who locks the account from elsewhere does not lock its owner out.
// A device that spends its budget loses it for the window: its attempts
// then count against the account like anyone's (cookie lockout).

// DefaultDeviceLimit is a trusted device's failures per AccountWindow, as
// provider.DefaultConfig gives it.
const DefaultDeviceLimit = 5

const (
	deviceNonceSize = 16
	deviceMACSize   = sha256.Size
)

// IssueDevice returns a new device cookie value for email, or "" when
// device cookies are off (no DeviceKeys).
func (l *Limiter) IssueDevice(email string) (string, error) {
	acct := accountDigest(email)
	if len(l.DeviceKeys) == 0 || acct == nil {
		return "", nil
	}
	nonce := make([]byte, deviceNonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("throttle: device nonce: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(append(nonce, deviceMAC(l.DeviceKeys[0], acct, nonce)...)), nil
}

// Device returns the device id of cookie if it is a valid device cookie for
// email under any configured key (a rotated system secret keeps old cookies
// good), else "": a forged cookie, or another account's, gives no budget.
func (l *Limiter) Device(email, cookie string) string {
	acct := accountDigest(email)
	raw, err := base64.RawURLEncoding.DecodeString(cookie)
	if acct == nil || err != nil || len(raw) != deviceNonceSize+deviceMACSize {
		return ""
	}
	nonce, mac := raw[:deviceNonceSize], raw[deviceNonceSize:]
	for _, k := range l.DeviceKeys {
		if hmac.Equal(mac, deviceMAC(k, acct, nonce)) {
			return hex.EncodeToString(nonce)
		}
	}
	return ""
}

// CheckDevice is Check for a sign-in from device (Device's answer; "" for a
// browser without a valid cookie, which gets Check). A trusted device's
// attempt counts against its own bucket while that bucket is within
// DeviceLimit; the address is looked at as always. Once the device has
// spent its budget, its attempts are an untrusted client's.
func (l *Limiter) CheckDevice(ctx context.Context, email, ip, device string) (retryAfter time.Duration, limited bool, err error) {
	if device == "" {
		return l.Check(ctx, email, ip)
	}
	if err := l.validate(); err != nil {
		return 0, false, err
	}
	now := l.now()
	count, _, err := l.Store.Hit(ctx, deviceKey(device), l.AccountWindow, now)
	if err != nil {
		return 0, false, fmt.Errorf("throttle: check device: %w", err)
	}
	if count > l.DeviceLimit {
		return l.Check(ctx, email, ip)
	}
	return l.check(ctx, now, l.keys("", ip))
}

// SuccessDevice is Success for a sign-in from device: a trusted device's
// success forgets its own failures only, so that the owner signing in does
// not hand an attacker a fresh budget against the account.
func (l *Limiter) SuccessDevice(ctx context.Context, email, device string) error {
	if device == "" {
		return l.Success(ctx, email)
	}
	if err := l.Store.Reset(ctx, deviceKey(device)); err != nil {
		return fmt.Errorf("throttle: reset device: %w", err)
	}
	return nil
}

func deviceKey(device string) string { return "login:device:" + device }

func deviceMAC(key, acct, nonce []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("ostiary device cookie\x00"))
	m.Write(acct)
	m.Write(nonce)
	return m.Sum(nil)
}
