package storage

import (
	"context"
	"time"
)

// AuditEvent is one security-relevant event.
type AuditEvent struct {
	ID   string
	Time time.Time
	// Type is e.g. "login.success", "token.revoked", "client.created".
	Type      string
	ActorID   string
	SubjectID string
	ClientID  string
	OrgID     string
	IP        string
	Details   map[string]string
}

// AuditFilter selects audit events; empty fields match anything.
type AuditFilter struct {
	Type      string
	ActorID   string
	SubjectID string
	Since     time.Time
	Until     time.Time
	// Limit caps the result (default 100, at most 1000).
	Limit int
	// BeforeID pages: only events older than the event with this id.
	BeforeID string
}

// AuditStore keeps audit events.
type AuditStore interface {
	// AppendAudit returns ErrAlreadyExists on a taken id.
	AppendAudit(ctx context.Context, e AuditEvent) error
	// ListAudit returns matching events, newest first.
	ListAudit(ctx context.Context, f AuditFilter) ([]AuditEvent, error)
}
