// Package passkey keeps people's passkeys (WebAuthn discoverable
// credentials): the ceremonies that register one and sign in with it, and
// the list a person and an administrator see, rename and remove from.
package passkey

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ostiary/ostiary/provider/accounts"
	"github.com/ostiary/ostiary/provider/fault"
	"github.com/ostiary/ostiary/provider/randtoken"
	"github.com/ostiary/ostiary/storage"
)

// ErrNotFound: no such passkey of this person.
var ErrNotFound = fault.Sentinel(fault.NotFound, "this passkey does not exist (any more)")

// MaxNameLength bounds a passkey's label.
const MaxNameLength = 100

// Store is what the service needs of storage.Store.
type Store interface {
	storage.PasskeyStore
	storage.Transactor
}

// Auditor records events; *audit.Recorder is one.
type Auditor interface {
	AppendAudit(ctx context.Context, e storage.AuditEvent) error
}

// Service manages passkeys.
type Service struct {
	Store Store
	Audit Auditor
	Now   func() time.Time
	// RP is the relying party the ceremonies run as (NewRelyingParty); nil
	// turns the ceremonies off (the issuer's host is an IP address), while
	// List, Rename and Remove still work.
	RP *RelyingParty
	// Users reads the person a passkey names, for sign-in.
	Users Users
}

// List returns the person's passkeys, oldest first.
func (s *Service) List(ctx context.Context, userID string) ([]storage.Passkey, error) {
	list, err := s.Store.ListPasskeys(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("passkey: list: %w", err)
	}
	return list, nil
}

// Rename sets the label of the person's passkey id.
func (s *Service) Rename(ctx context.Context, userID, id, name string) error {
	name, err := cleanName(name)
	if err != nil {
		return err
	}
	err = s.Store.UpdatePasskey(ctx, userID, id, func(p storage.Passkey) (storage.Passkey, error) {
		p.Name = name
		return p, nil
	})
	if errors.Is(err, storage.ErrNotFound) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("passkey: rename: %w", err)
	}
	return nil
}

// cleanName trims a label and refuses one that is too long or has control
// characters.
func cleanName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) > MaxNameLength {
		return "", fault.Invalidf("A passkey's name can have at most %d characters.", MaxNameLength)
	}
	if strings.ContainsFunc(name, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return "", fault.Invalidf("A passkey's name cannot contain control characters.")
	}
	return name, nil
}

// Remove deletes the person's passkey id and records passkey.removed with
// who did it (the person, or an administrator).
func (s *Service) Remove(ctx context.Context, actor accounts.Actor, userID, id string) error {
	return s.Store.InTx(ctx, func(ctx context.Context) error {
		err := s.Store.DeletePasskey(ctx, userID, id)
		if errors.Is(err, storage.ErrNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("passkey: remove: %w", err)
		}
		return s.audit(ctx, actor, "passkey.removed", userID, map[string]string{"passkey_id": id})
	})
}

// RemoveAll deletes every passkey of the person (a reset of their second
// factors) and returns how many there were; one passkey.removed event
// records the count.
func (s *Service) RemoveAll(ctx context.Context, actor accounts.Actor, userID string) (int, error) {
	var n int
	err := s.Store.InTx(ctx, func(ctx context.Context) error {
		var err error
		if n, err = s.Store.DeletePasskeys(ctx, userID); err != nil {
			return fmt.Errorf("passkey: remove all: %w", err)
		}
		if n == 0 {
			return nil
		}
		return s.audit(ctx, actor, "passkey.removed", userID, map[string]string{"count": strconv.Itoa(n)})
	})
	return n, err
}

func (s *Service) audit(ctx context.Context, actor accounts.Actor, typ, userID string, details map[string]string) error {
	e := storage.AuditEvent{ID: randtoken.ID(), Time: s.Now().UTC(), Type: typ, ActorID: actor.ID, SubjectID: userID,
		IP: actor.IP, Details: details}
	if err := s.Audit.AppendAudit(ctx, e); err != nil {
		return fmt.Errorf("passkey: audit %s: %w", typ, err)
	}
	return nil
}
