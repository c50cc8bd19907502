-- The outbox of audit forwarding: one row per audit event and sink (syslog
-- server, webhook receiver), written in the transaction that stores the
-- event. seq is the order a sink receives its events in; (event_id, sink)
-- is the idempotency key. Delivered rows go after janitor.forwarded_audit_retention;
-- an event removed by the audit retention takes its rows along.
CREATE TABLE audit_forward (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id        TEXT NOT NULL REFERENCES audit_events (id) ON DELETE CASCADE,
    sink            TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    delivered_at    INTEGER,
    last_error      TEXT NOT NULL DEFAULT '',
    UNIQUE (event_id, sink)
) STRICT;
CREATE INDEX audit_forward_pending ON audit_forward (sink, seq) WHERE delivered_at IS NULL;
CREATE INDEX audit_forward_delivered ON audit_forward (delivered_at) WHERE delivered_at IS NOT NULL;
