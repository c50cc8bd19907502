package metrics

import (
	"context"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ostiary/ostiary/storage"
)

// Auditor is where audit events go (audit.Recorder is one).
type Auditor interface {
	AppendAudit(ctx context.Context, e storage.AuditEvent) error
}

// CountLogins passes every audit event on to next and counts the sign-in
// events among them (login.success, login.failure, login.mfa_failure,
// login.upstream_failure): the audit trail is where every sign-in outcome
// is already decided, once, by the page that made it.
func (m *Metrics) CountLogins(next Auditor) Auditor {
	if m == nil {
		return next
	}
	return loginCounter{next: next, m: m}
}

type loginCounter struct {
	next Auditor
	m    *Metrics
}

func (c loginCounter) AppendAudit(ctx context.Context, e storage.AuditEvent) error {
	c.m.login(e)
	return c.next.AppendAudit(ctx, e)
}

// Failure stages (login_failures_total's stage label).
const (
	StagePassword = "password"
	StageMFA      = "mfa"
	StageUpstream = "upstream"
)

// failureReasons are the reasons the sign-in pages record; anything else
// (a reason added later, an upstream provider's error code) counts as
// "other", so an upstream provider cannot make up label values.
var failureReasons = map[string]bool{
	// web/signin's password check
	"unknown_user": true, "no_password": true, "password_too_long": true, "bad_hash": true,
	"bad_password": true, "disabled": true,
	// the second factor
	"bad_code": true, "bad_recovery_code": true, "replayed_code": true, "not_enabled": true,
	// upstream providers
	"browser_mismatch": true, "error": true, "unavailable": true, "invalid_token": true,
}

func (m *Metrics) login(e storage.AuditEvent) {
	var stage string
	switch e.Type {
	case "login.success":
		m.loginSuccess.Inc()
		return
	case "login.failure":
		stage = StagePassword
		if e.Details["connector"] != "" && e.Details["during"] == "" {
			stage = StageUpstream
		}
	case "login.mfa_failure":
		stage = StageMFA
	case "login.upstream_failure":
		stage = StageUpstream
	default:
		return
	}
	reason := e.Details["reason"]
	switch {
	case failureReasons[reason]:
	case strings.HasPrefix(reason, "upstream_"):
		reason = "upstream_error"
	default:
		reason = "other"
	}
	m.loginFailures.With(prometheus.Labels{"stage": stage, "reason": reason}).Inc()
}
