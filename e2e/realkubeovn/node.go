package realkubeovn

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/vf-offload/vf-offload/e2e/bed"
)

// Node is a bed running the real Kube-OVN daemon, as one node of the cluster.
type Node struct {
	Name   string // the Node object's name, NODE_NAME of the daemon
	Bed    *bed.Bed
	Binder *Binder
	Log    string // the daemon's log (klog on stderr)
	VFMACs string // where the patched daemon records VF administrative MACs
	// Kubeconfig is the daemon's, reachable from inside the node netns.
	Kubeconfig string
	leave      []func() error // Join's undo, run by Close
	gw         *gateway
	daemon     *exec.Cmd
	exited     chan error
	iface      string
	logFile    *os.File
	opts       NodeOptions
}

// NodeOptions configure StartNode.
type NodeOptions struct {
	DaemonBin  string // kube-ovn-daemon
	Kubeconfig string // reachable from inside the bed's node netns
	Nets       []Net  // Subnets whose gateways the gateway netns answers for
}

// StartNode creates the Node object, the gateway netns, the ovn-installed
// stand-in and the daemon on bed b (made with NodeRoot and a NIC), and
// returns once the daemon serves its socket.
func StartNode(ctx context.Context, b *bed.Bed, api API, o NodeOptions) (_ *Node, err error) {
	n := &Node{Name: "vfo-" + b.ID, Bed: b, Log: filepath.Join(b.Dir, "kube-ovn-daemon.log"),
		VFMACs: filepath.Join(b.Dir, "vf-admin-mac"), iface: "vfonic0"}
	defer func() {
		if err != nil {
			err = errors.Join(err, n.Close())
		}
	}()
	// the DaemonSet's hostPath mounts: its log dir, next to the VF MAC record
	for _, d := range []string{n.VFMACs, b.NodePath("/var/log/kube-ovn")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return n, err
		}
	}
	mac := make(net.HardwareAddr, 6)
	_, _ = rand.Read(mac[3:])
	mac[0] = 0x00
	if err := CreateNode(ctx, api, n.Name, mac.String()); err != nil {
		return n, err
	}
	// The node's own NIC for the tunnel endpoint (--iface): a veth with
	// an address, MTU 1500 (the daemon gives pods 1500 - 100 for geneve).
	node := func(args ...string) []string { return append([]string{"nsenter", "--net=" + b.NodeNS}, args...) }
	for _, s := range [][]string{
		node("ip", "link", "add", n.iface, "type", "veth", "peer", "name", n.iface+"p"),
		node("ip", "addr", "add", "172.31.0.2/24", "dev", n.iface),
		node("ip", "link", "set", n.iface, "up"),
		node("ip", "link", "set", n.iface+"p", "up"),
	} {
		if err := run(s...); err != nil {
			return n, fmt.Errorf("node NIC: %w", err)
		}
	}
	addrs := []string{JoinGateway + "/16"}
	for _, x := range o.Nets {
		plen, err := prefixLen(x.CIDR)
		if err != nil {
			return n, err
		}
		addrs = append(addrs, fmt.Sprintf("%s/%d", x.Gateway, plen))
	}
	if n.gw, err = startGateway("vfo-"+b.ID+"-ovngw", b.NodeNS, "vfogw0", b.OVS.Vsctl, addrs); err != nil {
		return n, err
	}
	if n.Binder, err = StartBinder(ctx, b.OVS.DB); err != nil {
		return n, err
	}
	sysid := filepath.Join(b.NodePath("/etc/openvswitch"), "system-id.conf")
	if err := os.WriteFile(sysid, []byte(n.Name+"-chassis\n"), 0o644); err != nil {
		return n, fmt.Errorf("system-id.conf: %w", err)
	}
	n.opts, n.Kubeconfig = o, o.Kubeconfig
	return n, n.StartDaemon(ctx)
}

// StartDaemon starts the daemon (again, after StopDaemon) and waits until
// it serves its socket.
func (n *Node) StartDaemon(ctx context.Context) error {
	if err := n.startDaemon(n.opts); err != nil {
		return err
	}
	return n.waitReady(ctx)
}

// StopDaemon stops the daemon as a DaemonSet rollout does (SIGTERM, then
// SIGKILL after 5 s).
func (n *Node) StopDaemon() {
	if n.daemon == nil || n.daemon.Process == nil {
		return
	}
	_ = syscall.Kill(-n.daemon.Process.Pid, syscall.SIGTERM)
	select {
	case <-n.exited:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-n.daemon.Process.Pid, syscall.SIGKILL)
		<-n.exited
	}
	n.daemon = nil
	if n.logFile != nil {
		n.logFile.Close()
		n.logFile = nil
	}
}

func (n *Node) startDaemon(o NodeOptions) error {
	f, err := os.OpenFile(n.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("daemon log: %w", err)
	}
	n.logFile = f
	sock := filepath.Join(n.Bed.OVS.RunDir, "kube-ovn-daemon.sock")
	_ = os.Remove(sock)
	cmd := n.Bed.NIC.Command(o.DaemonBin,
		"--kubeconfig="+o.Kubeconfig,
		"--bind-socket=/run/openvswitch/kube-ovn-daemon.sock",
		"--ovs-socket=/run/openvswitch/db.sock",
		"--iface="+n.iface,
		"--network-type=geneve",
		"--service-cluster-ip-range=10.96.0.0/16",
		"--enable-mirror=false", "--enable-metrics=false", "--enable-pprof=false",
		"--enable-tproxy=false", "--enable-ovn-ipsec=false", "--enable-arp-detect-ip-conflict=false",
		"--logtostderr=true", "--v=3")
	cmd.Env = append(os.Environ(), "NODE_NAME="+n.Name, "POD_NAME=kube-ovn-cni-"+n.Name, "POD_NAMESPACE=kube-system",
		"POD_IP=172.31.0.2", "VFO_BED_VF_MAC_DIR="+n.VFMACs)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start kube-ovn daemon: %w", err)
	}
	n.daemon = cmd
	n.exited = make(chan error, 1)
	go func() { n.exited <- cmd.Wait() }()
	return nil
}

// waitReady waits for the daemon's socket and its ovn0 port.
func (n *Node) waitReady(ctx context.Context) error {
	sock := filepath.Join(n.Bed.OVS.RunDir, "kube-ovn-daemon.sock")
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-n.exited:
			n.exited <- err
			return fmt.Errorf("kube-ovn daemon exited during start (%v): %s", err, n.LogTail(30))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if _, err := os.Stat(sock); err != nil {
			continue
		}
		if out, err := n.Bed.OVS.Vsctl("--if-exists", "get", "interface", "ovn0", "ofport"); err == nil && strings.TrimSpace(out) != "" {
			return nil
		}
	}
	return fmt.Errorf("kube-ovn daemon not ready in 60 s: %s", n.LogTail(30))
}

// LogTail returns the last lines of the daemon's log.
func (n *Node) LogTail(lines int) string {
	data, _ := os.ReadFile(n.Log)
	all := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// VFAdminMAC is the administrative MAC the daemon last set for VF index vf
// (recorded by the build-time patch) and the PF netdev it went through; ""
// if none.
func (n *Node) VFAdminMAC(vf int) (mac, pf string) {
	files, _ := filepath.Glob(filepath.Join(n.VFMACs, "*", fmt.Sprintf("vf%d", vf)))
	if len(files) == 0 {
		return "", ""
	}
	data, _ := os.ReadFile(files[0])
	return strings.TrimSpace(string(data)), filepath.Base(filepath.Dir(files[0]))
}

// Close stops the daemon, the stand-ins and the gateway netns, and undoes
// Join if Join made the node. The bed is the caller's, and so is the Node
// object unless Join made it.
func (n *Node) Close() error {
	var errs []error
	n.StopDaemon()
	if n.Binder != nil {
		n.Binder.Close()
		n.Binder = nil
	}
	if n.gw != nil {
		errs = append(errs, n.gw.close())
		n.gw = nil
	}
	for _, f := range n.leave {
		errs = append(errs, f())
	}
	n.leave = nil
	return errors.Join(errs...)
}
