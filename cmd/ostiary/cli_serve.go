package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/ostiary/ostiary/provider"
	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

// bootstrapEmail is the administrator created on the first start.
const bootstrapEmail = "admin@localhost"

func serveCommand(fs *flag.FlagSet, cf *commonFlags) func(context.Context, env) error {
	return func(ctx context.Context, e env) error {
		c, err := loadConfig(cf.config, e.getenv)
		if err != nil {
			return err
		}
		log := newLogger(c, e.stderr)
		system, generated, err := c.systemSecrets()
		if err != nil {
			return err
		}
		logGeneratedSecret(log, c, generated)
		tp, stopTracing, err := startTracing(ctx, c, e.getenv, log)
		if err != nil {
			return err
		}
		// Last: the spans of the shutdown itself are sent too.
		defer stopTracing()
		st, err := openStore(ctx, c, c.MigrateOnStart, log, tracerProvider(tp))
		if err != nil {
			return err
		}
		defer st.Close()

		pc := providerConfig(c, system)
		pc.AuditLog = auditLogger(c, e.stderr)
		pc.Tracing = tracerProvider(tp)
		if c.Log.Access {
			pc.AccessLog = log
		}
		p, err := provider.New(ctx, pc, st, log)
		if err != nil {
			return err
		}
		defer p.Close()
		// Background work (the mail outbox) stops after the HTTP server,
		// so a request that queued a mail during shutdown is not stranded
		// for long, and finishes the delivery in hand.
		bgCtx, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
		bgDone := make(chan struct{})
		go func() { p.Run(bgCtx); close(bgDone) }()
		defer func() { stopBackground(); <-bgDone }()
		// Before listening, so that a ready server has its administrator.
		var welcome string
		if c.BootstrapAdmin {
			if welcome, err = bootstrapAdmin(ctx, c, p.Services); err != nil {
				return fmt.Errorf("bootstrap administrator: %w", err)
			}
		}

		ln, err := net.Listen("tcp", c.Listen)
		if err != nil {
			return fmt.Errorf("listen: %w", err)
		}
		srv := newHTTPServer(p, log)
		errc := make(chan error, 3)
		go func() { errc <- srv.Serve(ln) }()
		log.Info("serving", "issuer", c.Issuer, "listen", ln.Addr().String())
		adminSrv, err := serveAdmin(c, p, log, errc)
		if err != nil {
			srv.Close()
			return err
		}
		metricsSrv, err := serveMetrics(c, p, log, errc)
		if err != nil {
			srv.Close()
			if adminSrv != nil {
				adminSrv.Close()
			}
			return err
		}

		fmt.Fprintf(e.stdout, "Ostiary is serving %s (listening on %s)\n%s", c.Issuer, ln.Addr(), welcome)

		select {
		case err := <-errc:
			return fmt.Errorf("serve: %w", err)
		case <-ctx.Done():
		}
		log.Info("shutting down")
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if adminSrv != nil {
			if err := adminSrv.Shutdown(shutdownCtx); err != nil {
				return fmt.Errorf("shutdown admin listener: %w", err)
			}
		}
		if metricsSrv != nil {
			if err := metricsSrv.Shutdown(shutdownCtx); err != nil {
				return fmt.Errorf("shutdown metrics listener: %w", err)
			}
		}
		if err := srv.Shutdown(shutdownCtx); err != nil {
			return fmt.Errorf("shutdown: %w", err)
		}
		return nil
	}
}

// serveAdmin runs the admin API's own listener when admin.listen is set
// (e.g. 127.0.0.1:9090, so the API is not reachable from outside); its
// errors go to errc. Without admin.listen it does nothing.
func serveAdmin(c Config, p *provider.Provider, log *slog.Logger, errc chan<- error) (*http.Server, error) {
	return serveOn(c.Admin.Listen, "admin", p.AdminHandler(), log, errc)
}

// serveMetrics runs the metrics listener when metrics.listen is set: /metrics
// alone (anything else is 404), on an address of its own, never the main
// listener's. Without metrics.listen no metrics are served.
func serveMetrics(c Config, p *provider.Provider, log *slog.Logger, errc chan<- error) (*http.Server, error) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", p.MetricsHandler())
	return serveOn(c.Metrics.Listen, "metrics", mux, log, errc)
}

// serveOn runs h on its own listener at addr (what names it in errors and
// the log); its errors go to errc. An empty addr serves nothing.
func serveOn(addr, what string, h http.Handler, log *slog.Logger, errc chan<- error) (*http.Server, error) {
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s listen: %w", what, err)
	}
	srv := newHTTPServer(h, log)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("serving the "+what+" listener", "listen", ln.Addr().String())
	return srv, nil
}

// newHTTPServer is a listener's server, with the timeouts and header limit
// both listeners share.
func newHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// bootstrapAdmin creates the first administrator of an empty database and
// returns what to print, once, about where to go and how to sign in. The
// password goes to standard output only, never to the log.
func bootstrapAdmin(ctx context.Context, c Config, svc *provider.Services) (string, error) {
	users, err := svc.Store.ListUsers(ctx)
	if err != nil {
		return "", err
	}
	if len(users) > 0 {
		return fmt.Sprintf("Sign in at %s/login\n", c.Issuer), nil
	}
	pw := randtoken.New()[:24]
	_, err = svc.Users.CreateUser(ctx, accounts.NewUser{Email: bootstrapEmail, Name: "Administrator", Password: pw, Verified: true, Admin: true})
	if errors.Is(err, storage.ErrAlreadyExists) {
		// Another replica starting at the same moment made it first.
		return fmt.Sprintf("Sign in at %s/login\n", c.Issuer), nil
	}
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("\nFirst start: created the administrator.\n  Sign in at %s/login\n  email:    %s\n  password: %s\n(The password is shown only now.)\n\n", c.Issuer, bootstrapEmail, pw), nil
}
