package main

import (
	"testing"

	"github.com/ostiary/ostiary/storage/postgres/pgtest"
)

// TestMain stops the throwaway PostgreSQL cluster pgtest.DSN may start.
func TestMain(m *testing.M) { pgtest.Main(m) }
