// Package audit records security events twice: in the database, where the
// admin pages and API query them, and as one structured log line each (JSON or
// text, as the rest of the log), so a log shipper can forward them to a SIEM
// without reading the database.
package audit
