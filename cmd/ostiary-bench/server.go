package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// loopbackTransport is an HTTP transport that can only reach 127.0.0.1, so a
// stray redirect or misconfiguration never sends load anywhere else.
func loopbackTransport(conns int) *http.Transport {
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			if ip := net.ParseIP(host); ip == nil || !ip.Equal(net.IPv4(127, 0, 0, 1)) {
				return nil, fmt.Errorf("refusing to dial %s: only 127.0.0.1 is allowed", addr)
			}
			return d.DialContext(ctx, network, addr)
		},
		MaxIdleConns:        conns * 2,
		MaxIdleConnsPerHost: conns * 2,
		IdleConnTimeout:     90 * time.Second,
		Proxy:               nil,
	}
}
