package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// startTimeout bounds how long a new cluster may take to accept connections.
const startTimeout = 30 * time.Second

// cluster is a throwaway PostgreSQL cluster in a temporary directory.
type cluster struct {
	dir  string // removed by stop
	data string
	cmd  *exec.Cmd
	// exited is closed when the postgres process has ended; exitErr is its
	// result.
	exited  chan struct{}
	exitErr error
}

// startCluster initializes and starts a cluster. The bool reports that no
// PostgreSQL is installed (as opposed to one that fails).
func startCluster() (*server, bool, error) {
	bin, err := findBinaries(debianBinaries)
	if err != nil {
		return nil, true, err
	}
	// PostgreSQL refuses to run as root; run it as the postgres user then.
	var runAs *user.User
	if os.Geteuid() == 0 {
		if runAs, err = user.Lookup("postgres"); err != nil {
			return nil, true, fmt.Errorf("running as root and there is no postgres user to run initdb as: %w", err)
		}
		if _, err := exec.LookPath("runuser"); err != nil {
			return nil, true, fmt.Errorf("running as root and runuser is missing: %w", err)
		}
	}

	dir, err := os.MkdirTemp("", "ostiary-pgtest-")
	if err != nil {
		return nil, false, err
	}
	c := &cluster{dir: dir, data: filepath.Join(dir, "data")}
	fail := func(err error) (*server, bool, error) {
		_ = os.RemoveAll(dir)
		return nil, false, err
	}
	if runAs != nil {
		uid, _ := strconv.Atoi(runAs.Uid)
		gid, _ := strconv.Atoi(runAs.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return fail(err)
		}
	}

	initdb := command(runAs, dir, filepath.Join(bin, "initdb"),
		"-D", c.data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync")
	if out, err := initdb.CombinedOutput(); err != nil {
		return fail(fmt.Errorf("initdb: %w\n%s", err, out))
	}

	// A free port can be taken between choosing and binding it; try again
	// with another.
	var lastErr error
	for range 3 {
		port, err := freePort()
		if err != nil {
			return fail(err)
		}
		if lastErr = c.start(runAs, bin, port); lastErr == nil {
			admin := &url.URL{
				Scheme:   "postgres",
				User:     url.User("postgres"),
				Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
				Path:     "/postgres",
				RawQuery: "sslmode=disable",
			}
			return &server{admin: admin, cluster: c}, false, nil
		}
	}
	return fail(lastErr)
}

// start runs postgres on port and waits until it accepts connections.
func (c *cluster) start(runAs *user.User, bin string, port int) error {
	logPath := filepath.Join(c.dir, "postgres.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd := command(runAs, c.dir, filepath.Join(bin, "postgres"),
		"-D", c.data,
		"-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories="+c.dir,
		// A throwaway cluster: durability buys nothing, speed does.
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
		"-c", "max_connections=200",
	)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// If the test binary dies without Main's teardown, the kernel tells the
	// child (postgres, or runuser which passes it on) to shut down.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	c.cmd = cmd
	c.exited = make(chan struct{})
	go func() {
		c.exitErr = cmd.Wait()
		close(c.exited)
	}()

	dsn := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=2", port)
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-c.exited:
			return fmt.Errorf("postgres exited during startup (%v):\n%s", c.exitErr, tail(logPath))
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, dsn)
		if err == nil {
			err = conn.Ping(ctx)
			conn.Close(ctx)
		}
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			_ = c.kill()
			return fmt.Errorf("postgres did not accept connections within %v: %v\n%s", startTimeout, err, tail(logPath))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop shuts the cluster down and removes its directory.
func (c *cluster) stop() error {
	err := c.kill()
	if rmErr := os.RemoveAll(c.dir); rmErr != nil {
		err = errors.Join(err, rmErr)
	}
	return err
}

// kill ends the server with a fast shutdown: sessions are ended, nothing is
// waited for.
func (c *cluster) kill() error {
	if c.cmd == nil {
		return nil
	}
	defer func() { c.cmd = nil }()
	// Signal the postmaster itself: when it runs under runuser, a signal to
	// runuser would arrive as a smart shutdown that waits for clients.
	if pid, err := postmasterPID(c.data); err == nil {
		_ = syscall.Kill(pid, syscall.SIGINT)
	} else {
		_ = c.cmd.Process.Signal(syscall.SIGINT)
	}
	select {
	case <-c.exited:
		return nil
	case <-time.After(15 * time.Second):
		_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
		<-c.exited
		return errors.New("postgres ignored the shutdown request and was killed")
	}
}

// command runs path as runAs (through runuser) when set, else as ourselves,
// in dir.
func command(runAs *user.User, dir, path string, args ...string) *exec.Cmd {
	var cmd *exec.Cmd
	if runAs != nil {
		cmd = exec.Command("runuser", append([]string{"-u", runAs.Username, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	// The postgres user may not be able to enter the test's directory.
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	return cmd
}

// debianBinaries is where Debian and Ubuntu install each major version.
const debianBinaries = "/usr/lib/postgresql/*/bin"

// findBinaries returns the directory holding initdb and postgres: the
// newest version matching pattern, else the one initdb on PATH lives in
// (through symlinks, which packagers use to put it on PATH).
func findBinaries(pattern string) (string, error) {
	dirs, _ := filepath.Glob(pattern)
	version := func(d string) float64 {
		v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(d)), 64)
		return v
	}
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		d := filepath.Dir(p)
		if isExec(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", fmt.Errorf("no initdb and postgres under %s or on PATH", pattern)
}

func isExec(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// postmasterPID reads the server's process id from postmaster.pid.
func postmasterPID(data string) (int, error) {
	b, err := os.ReadFile(filepath.Join(data, "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	first, _, _ := bytes.Cut(b, []byte("\n"))
	return strconv.Atoi(strings.TrimSpace(string(first)))
}

// tail returns the end of a log file for an error message.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	const max = 4000
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(b)
}
