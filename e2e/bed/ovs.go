package bed

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// OVS is a private Open vSwitch (ovsdb-server + ovs-vswitchd, userspace
// datapath) running in the node netns, with br-int (datapath_type=netdev).
type OVS struct {
	Dir    string // OVS_RUNDIR etc. live under it
	RunDir string
	DB     string // "unix:<rundir>/db.sock", for --db= and the plugin's "ovsdb"
	Bridge string // "br-int"
	nodeNS string
}

const ovsSchema = "/usr/share/openvswitch/vswitch.ovsschema"

func startOVS(nodeNS, dir string) (*OVS, error) {
	o := &OVS{Dir: dir, RunDir: filepath.Join(dir, "run"), Bridge: "br-int", nodeNS: nodeNS}
	o.DB = "unix:" + filepath.Join(o.RunDir, "db.sock")
	for _, d := range []string{"run", "db", "log", "etc"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("ovs dir: %w", err)
		}
	}
	db := filepath.Join(dir, "db", "conf.db")
	steps := [][]string{
		{"ovsdb-tool", "create", db, ovsSchema},
		o.dbServer(),
		{"ovs-vsctl", "--db=" + o.DB, "--no-wait", "init"},
		{"nsenter", "--net=" + nodeNS, "--", "ovs-vswitchd", o.DB, "--pidfile=" + o.pidfile("ovs-vswitchd"),
			"--detach", "--log-file=" + filepath.Join(dir, "log", "ovs-vswitchd.log")},
		{"ovs-vsctl", "--db=" + o.DB, "--timeout=20", "add-br", o.Bridge, "--", "set", "bridge", o.Bridge, "datapath_type=netdev"},
		{"ovs-ofctl", "add-flow", o.Bridge, "priority=0,actions=NORMAL"},
	}
	for _, s := range steps {
		if _, err := o.run(s[0], s[1:]...); err != nil {
			return o, fmt.Errorf("start OVS: %w", err)
		}
	}
	return o, nil
}

// dbServer is the command that starts ovsdb-server on the bed's database.
func (o *OVS) dbServer() []string {
	return []string{"nsenter", "--net=" + o.nodeNS, "--", "ovsdb-server", filepath.Join(o.Dir, "db", "conf.db"),
		"--remote=punix:" + filepath.Join(o.RunDir, "db.sock"), "--pidfile=" + o.pidfile("ovsdb-server"), "--detach",
		"--log-file=" + filepath.Join(o.Dir, "log", "ovsdb-server.log")}
}

// StopDB stops ovsdb-server alone (ovs-vswitchd keeps running and retries),
// keeping the database file, and waits until it is gone: its socket no
// longer answers.
func (o *OVS) StopDB() error {
	ctl, err := o.ctl("ovsdb-server")
	if err != nil {
		return fmt.Errorf("stop ovsdb-server: %w", err)
	}
	if _, err := o.run("ovs-appctl", "-t", ctl, "exit"); err != nil {
		return fmt.Errorf("stop ovsdb-server: %w", err)
	}
	if !waitGone(o.pidfile("ovsdb-server"), 10*time.Second) {
		return fmt.Errorf("stop ovsdb-server: pidfile %s still there after 10 s", o.pidfile("ovsdb-server"))
	}
	return nil
}

// StartDB restarts ovsdb-server on the same database after StopDB, then
// waits until ovs-vswitchd has reconnected and applied the database
// (an ovs-vsctl no-op that waits for it).
func (o *OVS) StartDB() error {
	cmd := o.dbServer()
	if _, err := o.run(cmd[0], cmd[1:]...); err != nil {
		return fmt.Errorf("restart ovsdb-server: %w", err)
	}
	// A command that may change the database makes ovs-vsctl bump next_cfg
	// and wait for ovs-vswitchd to report it; this one changes nothing.
	if _, err := o.Vsctl("--may-exist", "add-br", o.Bridge); err != nil {
		return fmt.Errorf("restart ovsdb-server: ovs-vswitchd did not catch up: %w", err)
	}
	return nil
}

// Env is the OVS_* environment that points the OVS tools at this OVS.
func (o *OVS) Env() []string {
	return []string{"OVS_RUNDIR=" + o.RunDir, "OVS_DBDIR=" + filepath.Join(o.Dir, "db"),
		"OVS_LOGDIR=" + filepath.Join(o.Dir, "log"), "OVS_SYSCONFDIR=" + filepath.Join(o.Dir, "etc"),
		"OVS_PKGDATADIR=/usr/share/openvswitch"}
}

// Vsctl runs ovs-vsctl against this OVS.
func (o *OVS) Vsctl(args ...string) (string, error) {
	return o.run("ovs-vsctl", append([]string{"--db=" + o.DB, "--timeout=20"}, args...)...)
}

// Ofctl runs ovs-ofctl (e.g. "dump-flows", "br-int") against this OVS.
func (o *OVS) Ofctl(args ...string) (string, error) { return o.run("ovs-ofctl", args...) }

// Appctl runs ovs-appctl against this ovs-vswitchd.
func (o *OVS) Appctl(args ...string) (string, error) {
	ctl, err := o.ctl("ovs-vswitchd")
	if err != nil {
		return "", err
	}
	return o.run("ovs-appctl", append([]string{"-t", ctl}, args...)...)
}

// PIDs returns the pids of ovsdb-server and ovs-vswitchd read from their pidfiles.
func (o *OVS) PIDs() []int {
	var pids []int
	for _, d := range []string{"ovsdb-server", "ovs-vswitchd"} {
		if pid, err := o.pid(d); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

func (o *OVS) run(bin string, args ...string) (string, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), o.Env()...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w: %s", bin, strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

func (o *OVS) pidfile(daemon string) string { return filepath.Join(o.RunDir, daemon+".pid") }

func (o *OVS) pid(daemon string) (int, error) {
	b, err := os.ReadFile(o.pidfile(daemon))
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

func (o *OVS) ctl(daemon string) (string, error) {
	pid, err := o.pid(daemon)
	if err != nil {
		return "", fmt.Errorf("%s pidfile: %w", daemon, err)
	}
	return filepath.Join(o.RunDir, fmt.Sprintf("%s.%d.ctl", daemon, pid)), nil
}

// stop asks ovs-vswitchd (with --cleanup, which removes its tap devices),
// then ovsdb-server, to exit and waits for their pidfiles to vanish.
func (o *OVS) stop() error {
	var errs []error
	for _, d := range []struct{ name, args string }{{"ovs-vswitchd", "exit --cleanup"}, {"ovsdb-server", "exit"}} {
		pid, err := o.pid(d.name)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("stop %s: %w", d.name, err))
			continue
		}
		ctl, _ := o.ctl(d.name)
		_, aerr := o.run("ovs-appctl", append([]string{"-t", ctl}, strings.Fields(d.args)...)...)
		if !waitGone(o.pidfile(d.name), 10*time.Second) {
			p, _ := os.FindProcess(pid)
			_ = p.Kill()
			errs = append(errs, fmt.Errorf("stop %s (pid %d): pidfile still there, killed: %v", d.name, pid, aerr))
			waitGone(o.pidfile(d.name), 2*time.Second)
			_ = os.Remove(o.pidfile(d.name))
		}
	}
	return errors.Join(errs...)
}

func waitGone(path string, d time.Duration) bool {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return true
		}
	}
	return false
}
