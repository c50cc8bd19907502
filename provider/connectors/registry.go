package connectors

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/storage"
)

// ErrStatic: the connector comes from the configuration file, which only
// the operator changes.
var ErrStatic = fault.Sentinel(fault.Conflict, "connectors: defined in the configuration file")

func static(id string) error {
	return ErrStatic.Newf("Connector %q is defined in the configuration file; only the operator changes it there.", id)
}

// ErrInvalid wraps a connector that does not validate.
var ErrInvalid = fault.Sentinel(fault.Invalid, "connectors: invalid connector")

// Sealer seals client secrets at rest (*secrets.Sealer).
type Sealer interface {
	Seal(plaintext, additionalData []byte) ([]byte, error)
	Open(ciphertext, additionalData []byte) ([]byte, error)
}

// Registry is the configured connectors plus those added at run time (the
// CLI, the admin API). Replicas see additions within Refresh.
type Registry struct {
	Static []Config
	Store  storage.ConnectorStore
	Sealer Sealer
	Deps   Deps
	// Refresh is how stale the run-time list may get; zero is 15 seconds.
	Refresh time.Duration
	Logger  *slog.Logger

	mu     sync.Mutex
	set    *Set
	loaded time.Time
	built  map[string]built // by id: the connector and the config it was built from
}

type built struct {
	cfg  Config
	conn Connector
}

// Source says where a listed connector is defined.
const (
	SourceFile     = "file"
	SourceDatabase = "database"
)

// Listed is a connector as List shows it: never with its secret.
type Listed struct {
	Config
	Source string
	// SAMLEntityID and SAMLACSURL are a SAML connector's service provider
	// entity id (also its metadata URL) and assertion consumer service.
	SAMLEntityID, SAMLACSURL string
}

func (r *Registry) listed(c Config, source string) Listed {
	l := Listed{Config: c, Source: source}
	if c.Type == TypeSAML {
		l.SAMLEntityID, l.SAMLACSURL = SAMLEntityID(r.Deps.Issuer, c.ID), SAMLACSURL(r.Deps.Issuer, c.ID)
	}
	return l
}

func (r *Registry) refresh() time.Duration {
	if r.Refresh > 0 {
		return r.Refresh
	}
	return 15 * time.Second
}

func (r *Registry) now() time.Time { return r.Deps.withDefaults().Now() }

// current returns the set, reloading the run-time connectors when stale.
// A failed reload keeps the last good set.
func (r *Registry) current() *Set {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.set != nil && r.now().Sub(r.loaded) < r.refresh() {
		return r.set
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	set, err := r.load(ctx)
	if err != nil {
		if r.Logger != nil {
			r.Logger.Error("load run-time connectors", "err", err)
		}
		if r.set == nil {
			set, _ = r.build(r.Static)
		}
	}
	if set != nil {
		r.set = set
	}
	r.loaded = r.now()
	return r.set
}

// load reads the run-time connectors and builds the whole set, reusing
// connectors whose config did not change (they keep their discovery).
func (r *Registry) load(ctx context.Context) (*Set, error) {
	cfgs := append([]Config(nil), r.Static...)
	if r.Store != nil {
		recs, err := r.Store.ListConnectors(ctx)
		if err != nil {
			return nil, err
		}
		for _, rec := range recs {
			c, err := r.open(rec)
			if err != nil {
				return nil, err
			}
			cfgs = append(cfgs, c)
		}
	}
	return r.build(cfgs)
}

func (r *Registry) build(cfgs []Config) (*Set, error) {
	if r.built == nil {
		r.built = map[string]built{}
	}
	s := &Set{byID: map[string]Connector{}}
	next := map[string]built{}
	for _, c := range cfgs {
		if _, dup := s.byID[c.ID]; dup {
			continue // a file connector wins over a database one with its id
		}
		b, ok := r.built[c.ID]
		if !ok || !sameConfig(b.cfg, c) {
			conn, err := New(c, r.Deps)
			if err != nil {
				return nil, err
			}
			b = built{cfg: c, conn: conn}
		}
		next[c.ID] = b
		s.list = append(s.list, b.conn)
		s.byID[c.ID] = b.conn
	}
	r.built = next
	return s, nil
}

func sameConfig(a, b Config) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func (r *Registry) open(rec storage.ConnectorRecord) (Config, error) {
	var c Config
	if err := json.Unmarshal(rec.Config, &c); err != nil {
		return Config{}, fmt.Errorf("connectors: decode %q: %w", rec.ID, err)
	}
	secret, err := r.Sealer.Open(rec.SealedSecret, []byte("connector:"+rec.ID))
	if err != nil {
		return Config{}, fmt.Errorf("connectors: open secret of %q: %w", rec.ID, err)
	}
	c.ID, c.ClientSecret = rec.ID, string(secret)
	return c, nil
}

// Enabled lists the connectors that show a button.
func (r *Registry) Enabled() []Connector { return r.current().Enabled() }

// Get returns an enabled connector by id.
func (r *Registry) Get(id string) (Connector, bool) { return r.current().Get(id) }

// Known reports whether a connector with id exists.
func (r *Registry) Known(id string) bool { return r.current().Known(id) }

// Create adds a run-time connector. ErrInvalid, ErrStatic for a file
// connector's id, storage.ErrAlreadyExists.
func (r *Registry) Create(ctx context.Context, c Config) error {
	if c.Type == TypeSAML && c.ClientSecret == "" {
		key, err := NewSAMLKey()
		if err != nil {
			return err
		}
		c.ClientSecret = key
	}
	if errs := c.Validate("connector"); len(errs) > 0 {
		return ErrInvalid.NewList(errs)
	}
	for _, s := range r.Static {
		if s.ID == c.ID {
			return static(c.ID)
		}
	}
	sealed, err := r.Sealer.Seal([]byte(c.ClientSecret), []byte("connector:"+c.ID))
	if err != nil {
		return fmt.Errorf("connectors: seal secret: %w", err)
	}
	c.ClientSecret = ""
	cfg, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("connectors: encode: %w", err)
	}
	now := r.now().UTC()
	if err := r.Store.CreateConnector(ctx, storage.ConnectorRecord{ID: c.ID, Config: cfg, SealedSecret: sealed,
		CreatedAt: now, UpdatedAt: now}); err != nil {
		return fmt.Errorf("connectors: create %q: %w", c.ID, err)
	}
	r.invalidate()
	return nil
}

// Delete removes a run-time connector. ErrStatic, storage.ErrNotFound.
func (r *Registry) Delete(ctx context.Context, id string) error {
	for _, s := range r.Static {
		if s.ID == id {
			return static(id)
		}
	}
	if err := r.Store.DeleteConnector(ctx, id); err != nil {
		return fmt.Errorf("connectors: delete %q: %w", id, err)
	}
	r.invalidate()
	return nil
}

// List returns every connector, secrets blanked.
func (r *Registry) List(ctx context.Context) ([]Listed, error) {
	var out []Listed
	for _, c := range r.Static {
		c.ClientSecret = ""
		out = append(out, r.listed(c, SourceFile))
	}
	recs, err := r.Store.ListConnectors(ctx)
	if err != nil {
		return nil, fmt.Errorf("connectors: list: %w", err)
	}
	for _, rec := range recs {
		var c Config
		if err := json.Unmarshal(rec.Config, &c); err != nil {
			return nil, fmt.Errorf("connectors: decode %q: %w", rec.ID, err)
		}
		c.ID, c.ClientSecret = rec.ID, ""
		out = append(out, r.listed(c, SourceDatabase))
	}
	return out, nil
}

func (r *Registry) invalidate() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.loaded = time.Time{}
}
