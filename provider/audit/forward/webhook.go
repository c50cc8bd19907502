package forward

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/ostiary/ostiary/storage"
)

// Event is an audit event as the webhooks carry it in data (and the
// admin API lists it).
type Event struct {
	ID        string            `json:"id"`
	Time      time.Time         `json:"time"`
	Type      string            `json:"type"`
	ActorID   string            `json:"actor_id,omitempty"`
	SubjectID string            `json:"subject_id,omitempty"`
	ClientID  string            `json:"client_id,omitempty"`
	OrgID     string            `json:"org_id,omitempty"`
	IP        string            `json:"ip,omitempty"`
	Details   map[string]string `json:"details,omitempty"`
}

// Payload is a webhook's body, the Standard Webhooks payload structure:
// the event type, when it happened, and the event.
type Payload struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      Event     `json:"data"`
}

// View is e as an Event.
func View(e storage.AuditEvent) Event {
	return Event{ID: e.ID, Time: e.Time.UTC(), Type: e.Type, ActorID: e.ActorID, SubjectID: e.SubjectID,
		ClientID: e.ClientID, OrgID: e.OrgID, IP: e.IP, Details: e.Details}
}

// Body returns the webhook body of e.
func Body(e storage.AuditEvent) ([]byte, error) {
	return json.Marshal(Payload{Type: e.Type, Timestamp: e.Time.UTC(), Data: View(e)})
}

// Sign returns the webhook-signature header's value: "v1," and the
// base64 HMAC-SHA256 of "id.timestamp.body" under the secret's key
// (Standard Webhooks, "Signature scheme").
func Sign(s Secret, id string, timestamp int64, body []byte) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(id + "." + strconv.FormatInt(timestamp, 10) + "."))
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// webhookSink posts to one receiver through the guarded client.
type webhookSink struct {
	url    string
	secret Secret
	client *http.Client
	now    func() time.Time
}

// Deliver posts e, signed now. Any 2xx answer is a delivery; anything
// else is tried again later with the same webhook-id.
func (s *webhookSink) Deliver(ctx context.Context, e storage.AuditEvent) error {
	body, err := Body(e)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	ts := s.now().Unix()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Ostiary audit forwarding")
	req.Header.Set("webhook-id", e.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", Sign(s.secret, e.ID, ts, body))
	resp, err := s.client.Do(req)
	if err != nil {
		// The URL may carry a credential of the receiver's: the error
		// goes to logs and the outbox without it.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("webhook: POST: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook: receiver answered %s", resp.Status)
	}
	return nil
}

// Close has nothing to end.
func (s *webhookSink) Close() error { return nil }
