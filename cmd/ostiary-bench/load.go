package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// sample is what one measured phase, or several added up, observed.
type sample struct {
	latencies []time.Duration
	errors    int
	firstErr  string
	elapsed   time.Duration
	ticks     int64 // server CPU, clock ticks
	dbTicks   int64 // database cluster CPU, clock ticks (0: not measured)
}

func (s *sample) add(o sample) {
	s.latencies = append(s.latencies, o.latencies...)
	s.errors += o.errors
	if s.firstErr == "" {
		s.firstErr = o.firstErr
	}
	s.elapsed += o.elapsed
	s.ticks += o.ticks
	s.dbTicks += o.dbTicks
}

// op is one request of a scenario by worker w. done ends the worker: its
// share of pre-generated codes is spent, or its refresh chain broke. A done
// op with a nil error sent no request.
type op func(ctx context.Context, w int) (done bool, err error)

// measure runs op on conc workers until d has passed or every worker is done,
// timing each request and reading the server's (and the database's) CPU
// time around the phase.
func measure(ctx context.Context, m meter, conc int, d time.Duration, do op) (sample, error) {
	// Requests started before the deadline run to completion, so the CPU
	// the server spends on them is matched by a counted request.
	before, err := m.read()
	if err != nil {
		return sample{}, err
	}
	start := time.Now()
	deadline := start.Add(d)
	per := make([]sample, conc)
	var wg sync.WaitGroup
	for w := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := &per[w]
			for ctx.Err() == nil && time.Now().Before(deadline) {
				t0 := time.Now()
				done, err := do(ctx, w)
				if done && err == nil {
					return
				}
				if err != nil {
					if ctx.Err() != nil {
						// The whole run was cancelled, not a server failure.
						return
					}
					s.errors++
					if s.firstErr == "" {
						s.firstErr = err.Error()
					}
				} else {
					s.latencies = append(s.latencies, time.Since(t0))
				}
				if done {
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	after, err := m.read()
	if err != nil {
		return sample{}, err
	}
	var total sample
	for _, s := range per {
		total.add(s)
	}
	total.elapsed, total.ticks, total.dbTicks = elapsed, after.server-before.server, after.db-before.db
	return total, nil
}

// parallel runs f(i) for i in [0,n) on conc goroutines and returns the
// first error.
func parallel(ctx context.Context, conc, n int, f func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		next  int
		first error
		wg    sync.WaitGroup
	)
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				stop := first != nil || i >= n
				mu.Unlock()
				if stop || ctx.Err() != nil {
					return
				}
				if err := f(ctx, i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					cancel()
					return
				}
			}
		}()
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		first = ctx.Err()
	}
	return first
}

// result is one scenario's line of the report.
type result struct {
	Name       string  `json:"name"`
	Requests   int     `json:"requests"`
	Errors     int     `json:"errors"`
	FirstError string  `json:"first_error,omitempty"`
	Seconds    float64 `json:"seconds"`
	RPS        float64 `json:"requests_per_second"`
	P50ms      float64 `json:"p50_ms"`
	P99ms      float64 `json:"p99_ms"`
	CPUPer1k   float64 `json:"server_cpu_seconds_per_1000"`
	// DBCPUPer1k is the PostgreSQL cluster's CPU, when -db-pid-file names
	// it: not part of the server's figure, shown so that the database's
	// share of a request is not hidden.
	DBCPUPer1k float64 `json:"database_cpu_seconds_per_1000,omitempty"`
	// SignCPUms is the yardstick this scenario is compared with.
	SignCPUms    float64 `json:"rs256_sign_cpu_ms"`
	SignaturesEq float64 `json:"cpu_per_request_in_rs256_signatures"`
}

func summarize(name string, s sample, signCPU time.Duration) result {
	r := result{Name: name, Requests: len(s.latencies), Errors: s.errors, FirstError: s.firstErr, Seconds: s.elapsed.Seconds(),
		SignCPUms: float64(signCPU.Microseconds()) / 1000}
	if r.Seconds > 0 {
		r.RPS = float64(r.Requests) / r.Seconds
	}
	if n := len(s.latencies); n > 0 {
		slices.Sort(s.latencies)
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		r.P50ms = ms(s.latencies[(n-1)*50/100])
		r.P99ms = ms(s.latencies[(n*99+99)/100-1])
		// Every request that reached the server cost CPU, failed or not.
		perRequest := func(ticks int64) float64 { return float64(ticks) / clockTicks / float64(n+s.errors) }
		perReq := perRequest(s.ticks)
		r.CPUPer1k = perReq * 1000
		r.DBCPUPer1k = perRequest(s.dbTicks) * 1000
		if signCPU > 0 {
			r.SignaturesEq = perReq / signCPU.Seconds()
		}
	}
	return r
}

func (r result) String() string {
	db := "-"
	if r.DBCPUPer1k > 0 {
		db = fmt.Sprintf("%.3f", r.DBCPUPer1k)
	}
	return fmt.Sprintf("%-20s %8d %9.1f %8.2f %8.2f %6d %10.3f %8.3f %9.2f %9s",
		r.Name, r.Requests, r.RPS, r.P50ms, r.P99ms, r.Errors, r.CPUPer1k, r.SignCPUms, r.SignaturesEq, db)
}
