// Package metrics is the provider's Prometheus instrumentation
// (github.com/prometheus/client_golang): one Registry per provider, built in
// the wiring (never the global default registry), served by Handler on a
// listener of its own (metrics.listen), never on the public port.
//
// Every label has a bounded set of values: route patterns (never raw
// paths), standard methods, status codes, grant types, the ids of
// registered clients, fixed reasons and results. No user id, address or URL
// is ever a label value. The counters on the token path are bound to their
// labels once and then only incremented.
package metrics
