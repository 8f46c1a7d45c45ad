// Command bench is `make bench`: it measures vf-offload
// the way a container runtime runs it — a fresh process per call through
// libcni — on the e2e bed (node netns, private userspace OVS, emulated
// Agilio NIC with 64 VFs), with Kube-OVN's part done first and untimed, in
// both states vf-offload meets: Kube-OVN's veth, and the already-offloaded
// state (Kube-OVN wired the VF itself). Kube-OVN's part is done by the real
// Kube-OVN (CNI binary and daemon, against a real kube-apiserver started for
// the run) when e2e/components has built it, else by the bed's stand-in
// (-kubeovn). In the same run it measures the floors the targets are made
// of: the floor binary (e2e/bench/floor: one libovsdb transaction plus the
// wait for ofport), the kernel's own share (one move into a netns, one veth
// deletion, a burst of them), the cost of starting a Go hello world; and the
// baseline (the same wiring with ovs-vsctl and ip commands, as Kube-OVN's
// daemon does it). It prints p50/p95
// per operation and the speed and memory targets with met or NOT met, and writes the
// whole to -out. Targets are reported, never asserted. Needs root.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/containernetworking/cni/libcni"

	"github.com/vf-offload/vf-offload/e2e/bed"
	"github.com/vf-offload/vf-offload/e2e/nic"
	"github.com/vf-offload/vf-offload/pkg/kubeovn"
)

var (
	runs    = flag.Int("n", 30, "samples per operation")
	out     = flag.String("out", "bin/bench.txt", "result file")
	burstN  = flag.Int("burst", 64, "pods in the burst (VFs on the NIC)")
	bigPort = flag.Int("ports", 1000, "other ports on br-int for the large case")
	verbose = flag.Bool("v", false, "progress on stderr")
	keepLog = flag.String("keep-log", "", "copy the plugin's debug log to this file at the end")
	koFlag  = flag.String("kubeovn", "", "who does Kube-OVN's untimed part: real (the real Kube-OVN CNI and daemon against a real "+
		"kube-apiserver; needs `make components`) or standin (the bed's stand-in); default real when the components are built, else standin")
)

func logf(format string, a ...any) {
	if *verbose {
		fmt.Fprintf(os.Stderr, "bench: "+format+"\n", a...)
	}
}

func main() {
	flag.Parse()
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "bench: not running as root — the bed needs root (netns, OVS, emulated NIC); run `sudo make bench`. Nothing measured.")
		os.Exit(2)
	}
	if why := bed.Missing(); why != "" {
		fmt.Fprintln(os.Stderr, "bench: the bed cannot start:", why, "(run `make deps` as root)")
		os.Exit(2)
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type bench struct {
	b        *bed.Bed
	ko       kubeOVN // Kube-OVN's part of each pod (untimed)
	koWhy    string  // why the stand-in does it when the real one was not ruled out by -kubeovn
	ctx      context.Context
	ex       *rusageExec
	cni      *libcni.CNIConfig
	floor    string // floor binary wrapped like the plugin
	floorBin string
	noop     string // /bin/true wrapped like the plugin
	nodeN    string // node netns name
	res      []row
	seq      int
	steps    []phaseSteps
	sysfs    []string // rows of sysfsReport
	reconf   []reconfRow
}

type row struct {
	op, ports string
	d         []time.Duration
	fails     int
	note      string
}

func run() error {
	start := time.Now()
	choice, err := chooseKubeOVN(*koFlag)
	if err != nil {
		return err
	}
	if choice.why != "" {
		fmt.Fprintf(os.Stderr, "bench: Kube-OVN's part done by the bed's stand-in, not the real Kube-OVN: %s\n", choice.why)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	prof := nic.Agilio()
	b, err := bed.Start(choice.bedOptions(bed.Options{NIC: &prof, NumVFs: *burstN, Dir: "/tmp", Logf: logf}))
	if err != nil {
		return fmt.Errorf("start bed: %w", err)
	}
	defer func() {
		if err := b.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "bench: close bed:", err)
		}
	}()
	if berr := b.Bins.Failed["vf-offload"]; berr != nil {
		return fmt.Errorf("vf-offload does not build: %w", berr)
	}
	ex := &rusageExec{phase: "warm-up"}
	bn := &bench{b: b, ctx: ctx, ex: ex, cni: libcni.NewCNIConfigWithCacheDir([]string{b.CNIPath}, b.CacheDir, ex),
		nodeN: filepath.Base(b.NodeNS), koWhy: choice.why}
	if choice.real {
		c, stop, err := startCluster(ctx, choice.comps, b.Bins.Repo)
		if err != nil {
			return fmt.Errorf("the real Kube-OVN's API server: %w", err)
		}
		defer stop()
		t := time.Now()
		r, err := startRealKubeOVN(ctx, c, choice.comps, b, bn.cni)
		if err != nil {
			return fmt.Errorf("start the real Kube-OVN daemon: %w", err)
		}
		logf("kube-ovn daemon ready in %s", time.Since(t).Round(time.Millisecond))
		defer func() {
			if err := r.close(); err != nil {
				fmt.Fprintln(os.Stderr, "bench: stop the real Kube-OVN daemon:", err)
			}
		}()
		bn.ko = r
	} else {
		bn.ko = &standIn{b: b, cni: bn.cni}
	}
	if err := bn.wrappers(); err != nil {
		return err
	}
	// Warm-up (page cache, first exec of each binary); not recorded.
	for _, offload := range []bool{false, true} {
		if _, err := bn.pluginSample(0, offload); err != nil {
			return fmt.Errorf("warm-up (offload %v): %w", offload, err)
		}
	}
	if *abOld != "" {
		ser, err := bn.abRun()
		if err != nil {
			return err
		}
		return bn.abReport(ser, time.Since(start))
	}
	ex.setPhase("start-up")
	if err := bn.startup(); err != nil {
		return fmt.Errorf("start-up cost: %w", err)
	}
	var setup []string
	for _, ports := range []int{10, *bigPort} {
		d, err := bn.dummyPorts(ports)
		if err != nil {
			return err
		}
		setup = append(setup, fmt.Sprintf("%d other ports added in %s", ports, d.Round(time.Millisecond)))
		label := fmt.Sprint(ports)
		ex.setPhase(label + " ports, samples")
		if err := bn.measure(label); err != nil {
			return err
		}
		ex.setPhase(label + " ports, reconfigurations")
		if err := bn.reconfigs(label); err != nil {
			return fmt.Errorf("count reconfigurations at %s ports: %w", label, err)
		}
		if ports == 10 {
			from := bn.logSize()
			ex.setPhase(label + " ports, burst")
			if err := bn.burst(label, false); err != nil {
				return err
			}
			if err := bn.recordSteps(label+" ports, burst", from); err != nil {
				return err
			}
			// The same burst where users meet it: Kube-OVN has wired every VF.
			from = bn.logSize()
			ex.setPhase(label + " ports, burst, already-offloaded state")
			if err := bn.burst(label, true); err != nil {
				return err
			}
			if err := bn.recordSteps(label+" ports, burst, already-offloaded state", from); err != nil {
				return err
			}
		}
	}
	if *keepLog != "" {
		if err := copyFile(b.LogFile, *keepLog); err != nil {
			return fmt.Errorf("keep the plugin's log: %w", err)
		}
	}
	return bn.report(time.Since(start), setup)
}

// wrappers writes a floor and a no-op wrapper shaped exactly like the bed's
// plugin wrappers (record stdin with sh+cat, then nsenter into the node
// netns and the NIC's mount namespace, exec).
func (bn *bench) wrappers() error {
	b := bn.b
	dir := filepath.Join(b.Dir, "bench")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	floorBin := filepath.Join(b.Bins.Repo, "bin", "bench", "floor")
	cmd := exec.Command("go", "build", "-o", floorBin, "./e2e/bench/floor")
	cmd.Dir = b.Bins.Repo
	bn.floorBin = floorBin
	if o, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build floor: %w: %s", err, o)
	}
	bn.ex.shim = filepath.Join(b.Bins.Repo, "bin", "bench", "rusage")
	cmd = exec.Command("go", "build", "-o", bn.ex.shim, "./e2e/bench/rusage")
	cmd.Dir, cmd.Env = b.Bins.Repo, append(os.Environ(), "CGO_ENABLED=0")
	if o, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build rusage shim: %w: %s", err, o)
	}
	for name, real := range map[string]string{"floor": floorBin, "noop": "/bin/true"} {
		inner := filepath.Join(dir, name+"-inner")
		if err := os.WriteFile(inner, []byte(b.NIC.WrapperScript(real)), 0o755); err != nil {
			return err
		}
		script := fmt.Sprintf("#!/bin/sh\nf=%s/$(date +%%s%%N)-%s-${CNI_COMMAND:-none}.json\ncat >\"$f\"\nexec %s \"$@\" <\"$f\"\n",
			b.CallsDir, name, inner)
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
			return err
		}
		if name == "floor" {
			bn.floor = p
		} else {
			bn.noop = p
		}
	}
	return nil
}

// dummyPorts brings br-int to n ports besides the ones under test, in one
// ovs-vsctl call. They have no netdev (ofport -1): they sit in OVSDB and in
// every vswitchd reconfiguration, which retries opening them.
func (bn *bench) dummyPorts(n int) (time.Duration, error) {
	have, err := bn.b.OVS.Vsctl("list-ports", bn.b.OVS.Bridge)
	if err != nil {
		return 0, err
	}
	cur := len(strings.Fields(have))
	args := []string{}
	for i := cur; i < n; i++ {
		args = append(args, "--", "add-port", bn.b.OVS.Bridge, fmt.Sprintf("bdum%d", i))
	}
	if len(args) == 0 {
		return 0, nil
	}
	t := time.Now()
	_, err = bn.b.OVS.Vsctl(append([]string{"--timeout=600"}, args...)...)
	return time.Since(t), err
}

func (bn *bench) record(op, ports, note string, d []time.Duration, fails int) {
	bn.res = append(bn.res, row{op: op, ports: ports, d: d, fails: fails, note: note})
}

// measure takes -n samples of every row at one bridge size; each sample
// runs every kind once, so that all rows see the same moments of the
// machine. The plugin's step log is kept apart per Kube-OVN state.
func (bn *bench) measure(ports string) error {
	var add, chk, del, st, oadd, ochk, odel, flo, floD, floK, noop, badd, bdel, kmove, kdel []time.Duration
	var vethLog, offLog []logSpan
	for i := 0; i < *runs; i++ {
		from := bn.logSize()
		s, err := bn.pluginSample(i, false)
		if err != nil {
			return fmt.Errorf("vf-offload sample %d at %s ports: %w", i, ports, err)
		}
		vethLog = append(vethLog, logSpan{from, bn.logSize()})
		add, chk, del, st = append(add, s[0]), append(chk, s[1]), append(del, s[2]), append(st, s[3])
		from = bn.logSize()
		if s, err = bn.pluginSample(i, true); err != nil {
			return fmt.Errorf("vf-offload sample %d in the already-offloaded state at %s ports: %w", i, ports, err)
		}
		offLog = append(offLog, logSpan{from, bn.logSize()})
		oadd, ochk, odel = append(oadd, s[0]), append(ochk, s[1]), append(odel, s[2])
		d, err := bn.floorSample(false, -1)
		if err != nil {
			return fmt.Errorf("floor sample %d at %s ports: %w", i, ports, err)
		}
		flo = append(flo, d)
		if d, err = bn.floorSample(true, -1); err != nil {
			return fmt.Errorf("direct floor sample %d at %s ports: %w", i, ports, err)
		}
		floD = append(floD, d)
		if d, err = bn.floorSample(false, i); err != nil {
			return fmt.Errorf("floor sample after Kube-OVN's ADD %d at %s ports: %w", i, ports, err)
		}
		floK = append(floK, d)
		a, dd, err := bn.baselineSample(i)
		if err != nil {
			return fmt.Errorf("baseline sample %d at %s ports: %w", i, ports, err)
		}
		badd, bdel = append(badd, a), append(bdel, dd)
		t := time.Now()
		if o, err := bn.ex.combined(exec.Command(bn.noop), "noop", "-"); err != nil {
			return fmt.Errorf("no-op wrapper: %w: %s", err, o)
		}
		noop = append(noop, time.Since(t))
		km, kd, err := bn.kernelSample()
		if err != nil {
			return err
		}
		kmove, kdel = append(kmove, km), append(kdel, kd)
		logf("%s ports: sample %d done", ports, i)
	}
	bn.record(opVethAdd, ports, "libcni AddNetwork, one step", add, 0)
	bn.record(opVethDel, ports, "libcni DelNetwork, one step", del, 0)
	bn.record("vf-offload CHECK (veth state)", ports, "libcni CheckNetwork, one step", chk, 0)
	bn.record("vf-offload STATUS", ports, "libcni GetStatusNetworkList", st, 0)
	bn.record(opOffAdd, ports, "libcni AddNetwork, one step", oadd, 0)
	bn.record(opOffDel, ports, "libcni DelNetwork, one step", odel, 0)
	bn.record("vf-offload CHECK (already-offloaded state)", ports, "libcni CheckNetwork, one step", ochk, 0)
	bn.record(opFloor, ports, "libovsdb: 1 txn + wait ofport, via bed wrapper", flo, 0)
	bn.record(opFloorBare, ports, "same binary, no wrapper", floD, 0)
	bn.record("floor ADD right after Kube-OVN's ADD", ports, "as 'floor ADD', started where vf-offload is: after Kube-OVN's ADD", floK, 0)
	bn.record("baseline ADD", ports, "ovs-vsctl + ip, Kube-OVN style", badd, 0)
	bn.record("baseline DEL", ports, "ovs-vsctl + ip", bdel, 0)
	bn.record(opNoop, ports, "/bin/true via plugin wrapper", noop, 0)
	bn.record(opKMove, ports, "one RTM_SETLINK, as ADD moves the VF", kmove, 0)
	bn.record(opKDel, ports, "as ADD deletes Kube-OVN's veth", kdel, 0)
	if err := bn.recordSpans(ports+" ports, veth state", vethLog); err != nil {
		return err
	}
	return bn.recordSpans(ports+" ports, already-offloaded state", offLog)
}

// Row names the targets refer to.
const (
	opVethAdd   = "vf-offload ADD (veth state)"
	opVethDel   = "vf-offload DEL (veth state)"
	opOffAdd    = "vf-offload ADD (already-offloaded state)"
	opOffDel    = "vf-offload DEL (already-offloaded state)"
	opFloor     = "floor ADD"
	opFloorBare = "floor ADD, bare process"
	opNoop      = "bed wrapper alone"
	opKMove     = "kernel: netdev into a netns, renamed"
	opKDel      = "kernel: veth pair deleted"
)

// pluginSample: Kube-OVN's ADD (untimed; offload: the already-offloaded
// state), then vf-offload ADD, CHECK, STATUS and DEL, each one timed libcni
// call, then Kube-OVN's DEL (untimed).
func (bn *bench) pluginSample(i int, offload bool) ([4]time.Duration, error) {
	var d [4]time.Duration
	pd, err := bn.newPod(i, offload)
	if err != nil {
		return d, err
	}
	t := time.Now()
	if _, err := bn.cni.AddNetwork(bn.ctx, pd.vfo, pd.rt); err != nil {
		return d, fmt.Errorf("ADD: %w", err)
	}
	d[0] = time.Since(t)
	t = time.Now()
	if err := bn.cni.CheckNetwork(bn.ctx, pd.vfo, pd.rt); err != nil {
		return d, fmt.Errorf("CHECK: %w", err)
	}
	d[1] = time.Since(t)
	list := &libcni.NetworkConfigList{Name: "vfo-bench", CNIVersion: "1.1.0", Plugins: []*libcni.PluginConfig{pd.vfo}}
	t = time.Now()
	if err := bn.cni.GetStatusNetworkList(bn.ctx, list); err != nil {
		return d, fmt.Errorf("STATUS: %w", err)
	}
	d[3] = time.Since(t)
	t = time.Now()
	if err := bn.cni.DelNetwork(bn.ctx, pd.vfo, pd.rt); err != nil {
		return d, fmt.Errorf("DEL: %w", err)
	}
	d[2] = time.Since(t)
	return d, bn.dropPod(pd)
}

func (bn *bench) node(args ...string) error {
	if o, err := exec.Command("ip", append([]string{"-n", bn.nodeN}, args...)...).CombinedOutput(); err != nil {
		return fmt.Errorf("ip %v: %w: %s", args, err, o)
	}
	return nil
}

// floorSample: a fresh veth end in the node (untimed), the floor binary
// through the plugin's wrapper (timed), then the port and veth removed.
// With kovn >= 0 Kube-OVN's ADD for a pod on VF kovn runs
// (untimed) just before the floor, as it runs just before vf-offload in the
// chain: the floor then starts while vswitchd may still be busy with the
// port Kube-OVN just added, as vf-offload's ADD does.
func (bn *bench) floorSample(direct bool, kovn int) (time.Duration, error) {
	var d time.Duration
	err := bn.withFloorPort(func(name string) error {
		if kovn >= 0 {
			pd, err := bn.newPod(kovn, false)
			if err != nil {
				return err
			}
			defer func() { _ = bn.dropPod(pd) }()
		}
		t := time.Now()
		err := bn.runFloor(direct, name)
		d = time.Since(t)
		return err
	})
	return d, err
}

// withFloorPort makes a fresh veth end in the node for the floor to add to
// br-int, runs fn with its name, then removes the port and the veth.
func (bn *bench) withFloorPort(fn func(name string) error) error {
	name := "bfloor0"
	if err := bn.node("link", "add", name, "type", "veth", "peer", "name", name+"p"); err != nil {
		return err
	}
	if err := bn.node("link", "set", name, "up"); err != nil {
		return err
	}
	if err := fn(name); err != nil {
		return err
	}
	if _, err := bn.b.OVS.Vsctl("--if-exists", "del-port", bn.b.OVS.Bridge, name); err != nil {
		return err
	}
	return bn.node("link", "del", name)
}

// runFloor runs the floor binary for port name, through the plugin's
// wrapper or (direct) as a bare process.
func (bn *bench) runFloor(direct bool, name string) error {
	cmd, bin := exec.Command(bn.floor, "-db", bn.b.OVS.DB, "-bridge", bn.b.OVS.Bridge, "-port", name), "floor"
	if direct { // the bare binary: no wrapper, no netns or mount namespace
		cmd, bin = exec.Command(bn.floorBin, "-db", bn.b.OVS.DB, "-bridge", bn.b.OVS.Bridge, "-port", name), "floor-bare"
	}
	cmd.Env = append(os.Environ(), "CNI_COMMAND=ADD")
	if o, err := bn.ex.combined(cmd, bin, "ADD"); err != nil {
		return fmt.Errorf("floor: %w: %s", err, o)
	}
	return nil
}

func sh(args ...string) error {
	if o, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %w: %s", strings.Join(args, " "), err, o)
	}
	return nil
}

// baselineSample wires VF i into an empty pod netns the way Kube-OVN's
// daemon does (one ip command per step, ovs-vsctl add-port with
// external_ids, waiting for vswitchd as ovs-vsctl does by default), then
// undoes it. Every command is a fresh process; both halves are timed.
func (bn *bench) baselineSample(i int) (time.Duration, time.Duration, error) {
	b := bn.b
	bn.seq++
	p, err := b.AddPod(fmt.Sprintf("q%d", bn.seq), "default")
	if err != nil {
		return 0, 0, err
	}
	vf := b.NIC.VFs[(i+len(b.NIC.VFs)/2)%len(b.NIC.VFs)]
	port := kubeovn.PortName(p.ContainerID, "eth0")
	pn, nn := p.NetnsName, bn.nodeN
	vsctl := func(a ...string) []string {
		return append([]string{"ovs-vsctl", "--db=" + b.OVS.DB, "--timeout=30"}, a...)
	}
	addSteps := [][]string{
		{"ip", "-n", nn, "link", "set", vf.Netdev, "down"},
		{"ip", "-n", nn, "link", "set", vf.Netdev, "netns", pn},
		{"ip", "-n", pn, "link", "set", vf.Netdev, "name", "eth0"},
		{"ip", "-n", pn, "link", "set", "eth0", "address", p.MAC.String()},
		{"ip", "-n", pn, "link", "set", "eth0", "mtu", "1400"},
		{"ip", "-n", pn, "addr", "add", p.IP.String(), "dev", "eth0"},
		{"ip", "-n", pn, "link", "set", "eth0", "up"},
		{"ip", "-n", pn, "route", "add", "default", "via", p.Gateway.String(), "dev", "eth0"},
		{"ip", "-n", nn, "link", "set", vf.Rep, "down"},
		{"ip", "-n", nn, "link", "set", vf.Rep, "name", port},
		vsctl("--may-exist", "add-port", b.OVS.Bridge, port, "--", "set", "interface", port,
			"external_ids:iface-id="+p.Name+"."+p.Namespace, "external_ids:vendor=kube-ovn",
			"external_ids:pod_name="+p.Name, "external_ids:pod_namespace="+p.Namespace,
			"external_ids:pod_netns="+p.Netns, "external_ids:ip="+p.IP.IP.String()),
		{"ip", "-n", nn, "link", "set", port, "mtu", "1400", "up"},
	}
	delSteps := [][]string{
		vsctl("--if-exists", "del-port", b.OVS.Bridge, port),
		{"ip", "-n", nn, "link", "set", port, "down"},
		{"ip", "-n", nn, "link", "set", port, "name", vf.Rep},
		{"ip", "-n", pn, "link", "set", "eth0", "down"},
		{"ip", "-n", pn, "link", "set", "eth0", "netns", nn},
		{"ip", "-n", nn, "link", "set", "eth0", "name", vf.Netdev},
		{"ip", "-n", nn, "link", "set", vf.Netdev, "address", vf.VFMAC},
	}
	timed := func(steps [][]string) (time.Duration, error) {
		t := time.Now()
		for _, s := range steps {
			if err := sh(s...); err != nil {
				return 0, err
			}
		}
		return time.Since(t), nil
	}
	a, err := timed(addSteps)
	if err != nil {
		return 0, 0, err
	}
	d, err := timed(delSteps)
	if err != nil {
		return 0, 0, err
	}
	_, err = p.Destroy()
	return a, d, err
}

// burst: n pods in the veth state, or with offload in the
// already-offloaded state (Kube-OVN's part untimed), then n vf-offload ADDs
// started at once, wall time until all returned; then n DELs likewise. The
// kernel's share and the bed wrapper's are timed with the veth state only.
func (bn *bench) burst(ports string, offload bool) error {
	n := *burstN
	pods := make([]*pod, n)
	for i := range pods {
		pd, err := bn.newPod(i, offload)
		if err != nil {
			return fmt.Errorf("burst pod %d: %w", i, err)
		}
		pods[i] = pd
	}
	runAll := func(f func(*pod) error) (time.Duration, int, []time.Duration, error) {
		var wg sync.WaitGroup
		errs := make([]error, n)
		each := make([]time.Duration, n)
		gate := make(chan struct{})
		for i, pd := range pods {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-gate
				t := time.Now()
				errs[i] = f(pd)
				each[i] = time.Since(t)
			}()
		}
		t := time.Now()
		close(gate)
		wg.Wait()
		wall := time.Since(t)
		fails := 0
		var first error
		for _, e := range errs {
			if e != nil {
				fails++
				if first == nil {
					first = e
				}
			}
		}
		return wall, fails, each, first
	}
	if !offload {
		kwall, err := bn.kernelBurst(n)
		if err != nil {
			return err
		}
		bn.record(kernelBurstRow(n), ports, "no plugin: ADD's kernel share, all at once", []time.Duration{kwall}, 0)
		// The bed's wrapper alone, n at once: what the burst pays the bed for
		// starting n plugin processes (shell, cat, nsenter into the NIC's
		// mount namespace).
		nwall, _, _, nerr := runAll(func(*pod) error {
			if o, err := bn.ex.combined(exec.Command(bn.noop), "noop", "-"); err != nil {
				return fmt.Errorf("no-op wrapper: %w: %s", err, o)
			}
			return nil
		})
		if nerr != nil {
			return nerr
		}
		bn.record(fmt.Sprintf("bed wrapper alone, %d at once", n), ports, "/bin/true via plugin wrapper, all started together", []time.Duration{nwall}, 0)
	}
	what := fmt.Sprintf("burst %d", n)
	if offload {
		what += ", already-offloaded state,"
	}
	from := bn.sysfsNow()
	wall, fails, each, ferr := runAll(func(pd *pod) error { _, err := bn.cni.AddNetwork(bn.ctx, pd.vfo, pd.rt); return err })
	bn.sysfsNote(fmt.Sprintf("%s ADD (%s ports)", what, ports), from)
	if ferr != nil {
		fmt.Fprintln(os.Stderr, "bench: "+what+" ADD failure (first):", ferr)
	}
	row := burstRow(n)
	if offload {
		row = offBurstRow(n)
	}
	bn.record(row, ports, "all started at once", []time.Duration{wall}, fails)
	bn.record(what+" ADD: each call", ports, "", each, fails)
	from = bn.sysfsNow()
	wall, fails, each, ferr = runAll(func(pd *pod) error { return bn.cni.DelNetwork(bn.ctx, pd.vfo, pd.rt) })
	bn.sysfsNote(fmt.Sprintf("%s DEL (%s ports)", what, ports), from)
	if ferr != nil {
		fmt.Fprintln(os.Stderr, "bench: "+what+" DEL failure (first):", ferr)
	}
	bn.record(what+" DEL: wall", ports, "all started at once", []time.Duration{wall}, fails)
	bn.record(what+" DEL: each call", ports, "", each, fails)
	for _, pd := range pods {
		if err := bn.dropPod(pd); err != nil {
			return fmt.Errorf("burst teardown: %w", err)
		}
	}
	return nil
}

func pct(d []time.Duration, p float64) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	k := int(p*float64(len(s))+0.999999) - 1 // nearest rank
	if k < 0 {
		k = 0
	}
	return s[k]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func (bn *bench) find(op, ports string) *row {
	for i := range bn.res {
		if bn.res[i].op == op && bn.res[i].ports == ports {
			return &bn.res[i]
		}
	}
	return nil
}

func (bn *bench) report(total time.Duration, setup []string) error {
	var w bytes.Buffer
	fmt.Fprintf(&w, "| operation | other ports | n | p50 | p95 | fails | how |\n|---|---|---|---|---|---|---|\n")
	for _, r := range bn.res {
		fmt.Fprintf(&w, "| %s | %s | %d | %s | %s | %d | %s |\n", r.op, r.ports, len(r.d), ms(pct(r.d, .5)), ms(pct(r.d, .95)), r.fails, r.note)
	}
	// Peak RSS of ADD processes, from the timed libcni calls.
	rss := bn.ex.rss("", "vf-offload", "ADD")
	var rssMax int64
	if len(rss) > 0 {
		rssMax = rss[len(rss)-1]
	}
	size := int64(-1)
	if st, err := os.Stat(bn.b.Bins.Path["vf-offload"]); err == nil { // the binary the calls ran
		size = st.Size()
	}
	fmt.Fprintf(&w, "\npeak RSS of one ADD process (ru_maxrss of wrapper+plugin, %d ADDs, all phases): p50 %.1f MiB, max %.1f MiB\n",
		len(rss), float64(pct64(rss, .5))/1024, float64(rssMax)/1024)
	fmt.Fprintf(&w, "binary size of vf-offload as the bed built it: %.1f MiB (%d bytes)\n", float64(size)/(1<<20), size)
	bn.rssReport(&w)
	bn.stepReport(&w)
	bn.sysfsReport(&w)
	bn.reconfReport(&w)

	bn.targets(&w, rssMax, len(rss))

	ovs, _ := exec.Command("ovs-vswitchd", "--version").Output()
	kern, _ := exec.Command("uname", "-r").Output()
	fmt.Fprintf(&w, "\nmachine: %d CPUs (nproc), kernel %s, %s, %s; bed: emulated %s NIC with %d VFs, userspace OVS (datapath netdev)\n",
		runtime.NumCPU(), strings.TrimSpace(string(kern)), strings.TrimSpace(strings.SplitN(string(ovs), "\n", 2)[0]),
		runtime.Version(), bn.b.NIC.Profile.Name, len(bn.b.NIC.VFs))
	fmt.Fprintf(&w, "Kube-OVN's part of every pod (untimed; it leaves the veth or the already-offloaded state): %s\n", bn.ko.name())
	if bn.koWhy != "" {
		fmt.Fprintf(&w, "not the real Kube-OVN, because: %s\n", bn.koWhy)
	}
	fmt.Fprintf(&w, "other ports: no netdev behind them (ofport -1), added in one ovs-vsctl call: %s\n", strings.Join(setup, "; "))
	fmt.Fprintf(&w, "every plugin call goes through the bed's wrapper (sh+cat recording stdin, one nsenter into the node netns and the NIC's mount namespace); see 'bed wrapper alone'. Floor runs through the same wrapper.\n")
	fmt.Fprintf(&w, "every timed process (plugin, floor, no-op wrapper) is started through the small rusage shim (e2e/bench/rusage), so that its peak RSS is its own, not the bench's; the shim's start is in every row alike.\n")
	fmt.Fprintf(&w, "run: %s, total %s\n", time.Now().UTC().Format(time.RFC3339), total.Round(time.Second))
	return writeOut(&w)
}

// writeOut writes the report to the result file and to stdout.
func writeOut(w *bytes.Buffer) error {
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(*out, w.Bytes(), 0o644); err != nil {
		return err
	}
	_, err := io.Copy(os.Stdout, w)
	return err
}

func pct64(v []int64, p float64) int64 {
	if len(v) == 0 {
		return 0
	}
	k := int(p*float64(len(v))+0.999999) - 1
	if k < 0 {
		k = 0
	}
	return v[k]
}
