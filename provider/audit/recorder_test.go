package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ostiary/ostiary/storage"
)

type memStore struct {
	events []storage.AuditEvent
	err    error
}

func (m *memStore) AppendAudit(_ context.Context, e storage.AuditEvent) error {
	if m.err != nil {
		return m.err
	}
	m.events = append(m.events, e)
	return nil
}

func TestRecorderStoresAndWritesOneJSONLine(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	st := &memStore{}
	r := &Recorder{Store: st, Log: slog.New(slog.NewJSONHandler(&buf, nil))}
	e := storage.AuditEvent{ID: "ev1", Time: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC), Type: "member.removed",
		ActorID: "u1", SubjectID: "u2", OrgID: "o1", IP: "192.0.2.7", Details: map[string]string{"role": "admin"}}
	if err := r.AppendAudit(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	if len(st.events) != 1 || st.events[0].ID != "ev1" {
		t.Fatalf("stored %+v", st.events)
	}
	var line struct {
		Msg string `json:"msg"`
	}
	if bytes.Count(buf.Bytes(), []byte("\n")) != 1 {
		t.Fatalf("want one line, got %q", buf.String())
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("not JSON: %v: %s", err, buf.String())
	}
	var raw map[string]map[string]any
	_ = json.Unmarshal(buf.Bytes(), &raw)
	a := raw["audit"]
	if line.Msg != "audit" || a["type"] != "member.removed" || a["actor_id"] != "u1" || a["subject_id"] != "u2" ||
		a["org_id"] != "o1" || a["ip"] != "192.0.2.7" || a["id"] != "ev1" {
		t.Errorf("log line = %s", buf.String())
	}
	if d, _ := a["details"].(map[string]any); d["role"] != "admin" {
		t.Errorf("details = %v", a["details"])
	}
	if _, ok := a["client_id"]; ok {
		t.Error("empty fields should be left out")
	}
}

func TestRecorderDoesNotLogWhatItCouldNotStore(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	boom := errors.New("disk full")
	r := &Recorder{Store: &memStore{err: boom}, Log: slog.New(slog.NewJSONHandler(&buf, nil))}
	if err := r.AppendAudit(t.Context(), storage.AuditEvent{ID: "x", Type: "login.success"}); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if buf.Len() != 0 {
		t.Errorf("logged a refused event: %s", buf.String())
	}
}

// TestRecorderWritesTextWithATextHandler: under a text handler the event is
// a text line (key=value, the details in key order), not JSON.
func TestRecorderWritesTextWithATextHandler(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	r := &Recorder{Store: &memStore{}, Log: slog.New(slog.NewTextHandler(&buf, nil))}
	e := storage.AuditEvent{ID: "ev1", Time: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC), Type: "login.failure",
		IP: "192.0.2.7", Details: map[string]string{"reason": "bad_password", "attempt": "2", "method": "password"}}
	if err := r.AppendAudit(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	line := buf.String()
	want := ` msg=audit audit.id=ev1 audit.time=2030-01-02T03:04:05.000Z audit.type=login.failure audit.ip=192.0.2.7 ` +
		`audit.details.attempt=2 audit.details.method=password audit.details.reason=bad_password` + "\n"
	if !strings.HasSuffix(line, want) || strings.Contains(line, "{") {
		t.Errorf("line = %q, want it to end %q", line, want)
	}
}
