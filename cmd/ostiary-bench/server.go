package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is sysconf(_SC_CLK_TCK): 100 on every Linux architecture Go
// supports, which is what /proc/<pid>/stat counts utime and stime in.
const clockTicks = 100

// procCPUTicks reads utime and stime (fields 14 and 15) of /proc/<pid>/stat.
// The command name in field 2 may hold spaces and parentheses, so fields are
// counted from after its last ')'.
func procCPUTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read server CPU time: %w", err)
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("read server CPU time: malformed /proc stat")
	}
	f := strings.Fields(string(b[i+1:]))
	// After ')' the fields start at 3 (state), so utime (14) is f[11].
	if len(f) < 13 {
		return 0, errors.New("read server CPU time: short /proc stat")
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("read server CPU time: %w", err)
	}
	return u + st, nil
}

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
