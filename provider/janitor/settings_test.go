package janitor_test

import "github.com/ostiary/ostiary/provider/janitor"

// configured gives j the settings the binary runs with, where it sets
// none: a Janitor takes no defaults of its own.
func configured(j *janitor.Janitor) *janitor.Janitor {
	if j.Interval == 0 {
		j.Interval = janitor.DefaultInterval
	}
	if j.BatchSize == 0 {
		j.BatchSize = janitor.DefaultBatchSize
	}
	if j.Pause == 0 {
		j.Pause = janitor.DefaultPause
	}
	if j.Lease == 0 {
		j.Lease = janitor.DefaultLease
	}
	if j.SentMailRetention == 0 {
		j.SentMailRetention = janitor.DefaultSentMailRetention
	}
	if j.FailedMailRetention == 0 {
		j.FailedMailRetention = janitor.DefaultFailedMailRetention
	}
	return j
}
