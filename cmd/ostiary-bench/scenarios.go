package main

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// allScenarios is the run order and the names -scenarios accepts.
var allScenarios = []string{"client_credentials", "refresh_token", "authorization_code", "introspection", "jwks", "discovery"}

// bench is one run against one server.
type bench struct {
	meter meter
	rp    *rp
	conc  int
	dur   time.Duration
}

// yardstickSigns is how many signatures measure the yardstick before and
// after each scenario (about a quarter of a second each).
const yardstickSigns = 150

func (b *bench) run(ctx context.Context, name string) (sample, error) {
	var (
		s   sample
		err error
	)
	switch name {
	case "client_credentials":
		s, err = measure(ctx, b.meter, b.conc, b.dur, func(ctx context.Context, _ int) (bool, error) {
			_, err := b.rp.clientCredentials(ctx)
			return false, err
		})
	case "refresh_token":
		s, err = b.refreshChains(ctx)
	case "authorization_code":
		s, err = b.codeExchanges(ctx)
	case "introspection":
		var token string
		if token, err = b.rp.clientCredentials(ctx); err != nil {
			return sample{}, fmt.Errorf("introspection: issue a token to introspect: %w", err)
		}
		s, err = measure(ctx, b.meter, b.conc, b.dur, func(ctx context.Context, _ int) (bool, error) {
			return false, b.rp.introspect(ctx, token)
		})
	case "jwks":
		s, err = measure(ctx, b.meter, b.conc, b.dur, func(ctx context.Context, _ int) (bool, error) {
			return false, b.rp.get(ctx, "/.well-known/jwks.json")
		})
	case "discovery":
		s, err = measure(ctx, b.meter, b.conc, b.dur, func(ctx context.Context, _ int) (bool, error) {
			return false, b.rp.get(ctx, "/.well-known/openid-configuration")
		})
	default:
		return sample{}, fmt.Errorf("unknown scenario %q", name)
	}
	if err != nil {
		return sample{}, fmt.Errorf("%s: %w", name, err)
	}
	return s, nil
}

// refreshChains gives every worker a refresh token of its own, obtained from
// a code before the clock starts, and has it rotate that chain: each answer's
// refresh token is the next request's (RFC 9700 §4.14.2). A failed refresh
// breaks the chain, so that worker stops and the error is reported.
func (b *bench) refreshChains(ctx context.Context) (sample, error) {
	rts := make([]string, b.conc)
	err := parallel(ctx, b.conc, b.conc, func(ctx context.Context, i int) error {
		code, p, err := b.rp.code(ctx)
		if err != nil {
			return err
		}
		tok, err := b.rp.exchange(ctx, code, p)
		rts[i] = tok.RefreshToken
		return err
	})
	if err != nil {
		return sample{}, fmt.Errorf("start refresh chains: %w", err)
	}
	return measure(ctx, b.meter, b.conc, b.dur, func(ctx context.Context, w int) (bool, error) {
		next, err := b.rp.refresh(ctx, rts[w])
		if err != nil {
			return true, err
		}
		rts[w] = next
		return false, nil
	})
}

// codeLife is how long the provider keeps an authorization code; a batch is
// sized so its last code is redeemed well inside it.
const codeLife = time.Minute

// codeExchanges measures only the token requests of the code flow: codes
// come from the signed-in session in batches generated while the clock is
// stopped, each batch sized from the exchange rate seen so far.
func (b *bench) codeExchanges(ctx context.Context) (sample, error) {
	type grant struct {
		code string
		p    pkce
	}
	var total sample
	batch := b.conc * 50
	for total.elapsed < b.dur && ctx.Err() == nil {
		genStart := time.Now()
		codes := make([]grant, batch)
		err := parallel(ctx, b.conc, batch, func(ctx context.Context, i int) error {
			code, p, err := b.rp.code(ctx)
			codes[i] = grant{code, p}
			return err
		})
		if err != nil {
			return sample{}, fmt.Errorf("generate codes: %w", err)
		}
		genRate := float64(batch) / time.Since(genStart).Seconds()

		// Deal the codes out so workers never contend for them.
		queues := make([][]grant, b.conc)
		for i, g := range codes {
			queues[i%b.conc] = append(queues[i%b.conc], g)
		}
		var mu sync.Mutex
		s, err := measure(ctx, b.meter, b.conc, b.dur-total.elapsed, func(ctx context.Context, w int) (bool, error) {
			mu.Lock()
			q := queues[w]
			if len(q) == 0 {
				mu.Unlock()
				return true, nil
			}
			g := q[0]
			queues[w] = q[1:]
			mu.Unlock()
			_, err := b.rp.exchange(ctx, g.code, g.p)
			return false, err
		})
		if err != nil {
			return sample{}, err
		}
		total.add(s)

		rate := float64(len(total.latencies)+total.errors) / total.elapsed.Seconds()
		need := rate * (b.dur - total.elapsed).Seconds() * 1.2
		// Generating and redeeming the batch must both fit in a third of a
		// code's life, or the last codes would expire before their turn.
		limit := (codeLife / 3).Seconds() / (1/rate + 1/genRate)
		batch = max(b.conc*10, min(int(need), int(limit)))
	}
	return total, nil
}
