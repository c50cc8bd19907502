// Package forward sends the audit events to sinks outside the database:
// syslog servers (RFC 5424 messages over TCP with octet counting, RFC 6587
// §3.4.1; over TLS, RFC 5425; or over UDP, RFC 5426) and webhook receivers
// (signed the Standard Webhooks way). Delivery goes through a database
// outbox: Outbox queues each event for the sinks whose filter takes it in
// the transaction that stores the event, and Worker delivers every sink's
// queue in order, retrying with backoff, one replica per sink at a time
// under a lease. The event id is the idempotency key: the webhook-id
// header, and the id parameter of the syslog structured data.
package forward
