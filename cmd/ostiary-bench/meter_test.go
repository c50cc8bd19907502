package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestReadStatOfThisProcess(t *testing.T) {
	t.Parallel()
	st, err := readStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if st.ppid != os.Getppid() {
		t.Fatalf("ppid = %d, want %d", st.ppid, os.Getppid())
	}
	if st.utime < 0 || st.stime < 0 {
		t.Fatalf("negative times: %+v", st)
	}
}

// clusterTicks counts a parent's live children and the ones it reaped:
// a child that burns CPU and is waited for must show in the parent's total.
func TestClusterTicksCountsReapedChildren(t *testing.T) {
	t.Parallel()
	before, err := clusterTicks(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// About 0.3 s of CPU in a child: well above one clock tick.
	cmd := exec.Command("sh", "-c", "i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done")
	if err := cmd.Run(); err != nil {
		t.Skipf("no sh to burn CPU in: %v", err)
	}
	after, err := clusterTicks(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if after-before < 5 {
		t.Fatalf("child CPU not counted: %d ticks before, %d after", before, after)
	}
}

func TestPostmasterPid(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	os.WriteFile(good, []byte("4242\n/var/lib/postgresql/data\n1700000000\n5432\n"), 0o600)
	if pid, err := postmasterPid(good); err != nil || pid != 4242 {
		t.Fatalf("postmasterPid = %d, %v; want 4242", pid, err)
	}
	for name, body := range map[string]string{"empty": "", "text": "postgres\n", "zero": "0\n", "negative": "-3\n"} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o600)
		if _, err := postmasterPid(p); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := postmasterPid(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing file: no error")
	}
}
