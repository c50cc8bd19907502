package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// clockTicks is sysconf(_SC_CLK_TCK): 100 on every Linux architecture Go
// supports, which is what /proc/<pid>/stat counts CPU times in.
const clockTicks = 100

// meter reads the CPU time of the ostiary server and, when its postmaster
// is known, of the PostgreSQL cluster behind it. The server's figure is the
// one the limits speak of; the cluster's is printed beside it so that a
// request that moves work into the database does not look cheaper than it is.
type meter struct {
	serverPid int
	dbPid     int // the postmaster; 0 when not measured
}

// cpu is one reading, in clock ticks.
type cpu struct{ server, db int64 }

func (m meter) read() (cpu, error) {
	st, err := readStat(m.serverPid)
	if err != nil {
		return cpu{}, fmt.Errorf("read server CPU time: %w", err)
	}
	c := cpu{server: st.utime + st.stime}
	if m.dbPid > 0 {
		if c.db, err = clusterTicks(m.dbPid); err != nil {
			return cpu{}, fmt.Errorf("read database CPU time: %w", err)
		}
	}
	return c, nil
}

// clusterTicks is the CPU of a postmaster and its backends: its own time,
// the time of children it has already reaped (cutime, cstime: a backend
// that ended during the phase), and that of every live child.
func clusterTicks(postmaster int) (int64, error) {
	pm, err := readStat(postmaster)
	if err != nil {
		return 0, err
	}
	total := pm.utime + pm.stime + pm.cutime + pm.cstime
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil || pid == postmaster {
			continue
		}
		st, err := readStat(pid)
		if err != nil || st.ppid != postmaster {
			// A process that ended since ReadDir is gone; its time is in
			// the postmaster's cutime by the next reading.
			continue
		}
		total += st.utime + st.stime
	}
	return total, nil
}

// stat is the part of /proc/<pid>/stat the meter uses.
type stat struct {
	ppid                         int
	utime, stime, cutime, cstime int64
}

// readStat parses /proc/<pid>/stat. The command name in field 2 may hold
// spaces and parentheses, so fields are counted from after its last ')':
// f[0] is field 3 (state), ppid is field 4, utime..cstime fields 14-17.
func readStat(pid int) (stat, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return stat{}, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return stat{}, errors.New("malformed /proc stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 15 {
		return stat{}, errors.New("short /proc stat")
	}
	var st stat
	var errs [5]error
	st.ppid, errs[0] = strconv.Atoi(f[1])
	st.utime, errs[1] = strconv.ParseInt(f[11], 10, 64)
	st.stime, errs[2] = strconv.ParseInt(f[12], 10, 64)
	st.cutime, errs[3] = strconv.ParseInt(f[13], 10, 64)
	st.cstime, errs[4] = strconv.ParseInt(f[14], 10, 64)
	if err := errors.Join(errs[:]...); err != nil {
		return stat{}, fmt.Errorf("parse /proc stat: %w", err)
	}
	return st, nil
}

// postmasterPid reads the first line of a cluster's postmaster.pid.
func postmasterPid(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read postmaster pid: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("postmaster pid file %s: no pid on its first line", path)
	}
	return pid, nil
}
