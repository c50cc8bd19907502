-- The outbox of audit forwarding: one row per audit event and sink (syslog
-- server, webhook receiver), written in the transaction that stores the
-- event. seq is the order a sink receives its events in; (event_id, sink)
-- is the idempotency key. Delivered rows go after janitor.forwarded_audit_retention;
-- an event removed by the audit retention takes its rows along.
CREATE TABLE audit_forward (
    seq             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id        text NOT NULL REFERENCES audit_events (id) ON DELETE CASCADE,
    sink            text NOT NULL,
    created_at      timestamptz NOT NULL,
    attempts        bigint NOT NULL DEFAULT 0,
    next_attempt_at timestamptz,
    delivered_at    timestamptz,
    last_error      text NOT NULL DEFAULT '',
    UNIQUE (event_id, sink)
);
CREATE INDEX audit_forward_pending_idx ON audit_forward (sink, seq) WHERE delivered_at IS NULL;
CREATE INDEX audit_forward_delivered_idx ON audit_forward (delivered_at) WHERE delivered_at IS NOT NULL;
