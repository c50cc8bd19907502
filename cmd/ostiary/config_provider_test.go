package main

import (
	"reflect"
	"testing"

	"github.com/ostiary/ostiary/provider"
)

// TestEmptyFileIsTheProviderDefaults: an empty configuration file gives
// the provider exactly provider.DefaultConfig, so the binary, the tests and
// the libraries run with one set of lifetimes.
func TestEmptyFileIsTheProviderDefaults(t *testing.T) {
	t.Parallel()
	c := defaultConfig()
	got := providerConfig(c, nil)
	want := provider.DefaultConfig()
	want.Issuer = c.Issuer
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("providerConfig(defaults):\n got %+v\nwant %+v", got, want)
	}
}
