// Package otlptest is a real OTLP/HTTP traces receiver for tests: the
// collector's protocol (protobuf ExportTraceServiceRequest POSTed to
// /v1/traces), keeping every span it is sent with its resource's
// service.name.
package otlptest

import (
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// Receiver is the receiver; URL is its base (the traces endpoint is
// URL+"/v1/traces").
type Receiver struct {
	*httptest.Server
	mu       sync.Mutex
	spans    []*tracepb.Span
	services []string
}

// New starts a receiver, closed when the test ends. A request that is not
// an OTLP/HTTP protobuf export fails the test.
func New(t testing.TB) *Receiver {
	rcv := &Receiver{}
	rcv.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
			t.Errorf("otlptest: %s %s %s is not an export", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
			http.Error(w, "not an export", http.StatusBadRequest)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var req collectortrace.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			t.Errorf("otlptest: export body: %v", err)
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		rcv.mu.Lock()
		for _, rs := range req.ResourceSpans {
			for _, a := range rs.GetResource().GetAttributes() {
				if a.Key == "service.name" {
					rcv.services = append(rcv.services, a.GetValue().GetStringValue())
				}
			}
			for _, ss := range rs.ScopeSpans {
				rcv.spans = append(rcv.spans, ss.Spans...)
			}
		}
		rcv.mu.Unlock()
		resp, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(resp)
	}))
	t.Cleanup(rcv.Close)
	return rcv
}

// Spans is every span received so far.
func (r *Receiver) Spans() []*tracepb.Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*tracepb.Span(nil), r.spans...)
}

// Services is the service.name of every resource received so far.
func (r *Receiver) Services() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.services...)
}

// Attr is the attribute key of s as a string ("" when s has none; a
// non-string value in its protobuf text form, e.g. "int_value:200").
func Attr(s *tracepb.Span, key string) string {
	for _, a := range s.Attributes {
		if a.Key == key {
			if v := a.GetValue().GetStringValue(); v != "" {
				return v
			}
			return a.GetValue().String()
		}
	}
	return ""
}

// Descends reports whether s is root or below it, following parent ids
// through spans within one trace.
func Descends(spans []*tracepb.Span, s, root *tracepb.Span) bool {
	byID := map[string]*tracepb.Span{}
	for _, x := range spans {
		byID[hex.EncodeToString(x.SpanId)] = x
	}
	for hops := 0; s != nil && hops < 32; hops++ {
		if string(s.TraceId) != string(root.TraceId) {
			return false
		}
		if string(s.SpanId) == string(root.SpanId) {
			return true
		}
		s = byID[hex.EncodeToString(s.ParentSpanId)]
	}
	return false
}
