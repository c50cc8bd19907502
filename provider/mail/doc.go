// Package mail sends the provider's email through a durable outbox in the
// database: Outbox renders a mail from templates/mail with its Data struct
// and stores it (storage.MailStore) with its body sealed, since its links
// are live credentials; a mail may instead be prepared at send time by a
// Preparer (the reset form's, so known and unknown addresses cost the
// same). Worker, running inside `ostiary serve`, claims due
// mails under a lease (so with several replicas each mail is sent once),
// hands them to a Sender and records the outcome, retrying with exponential
// backoff up to a maximum number of attempts. Senders: SMTP (STARTTLS,
// implicit TLS or none; AUTH PLAIN) and a log sender for development, when
// no SMTP server is configured.
package mail
