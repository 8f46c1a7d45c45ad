// Package e2e holds the end-to-end tests that run on the test bed
// (package e2e/bed): a real kernel, a real Open vSwitch, real CNI chains.
package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	current "github.com/containernetworking/cni/pkg/types/100"

	"github.com/vf-offload/vf-offload/e2e/bed"
	"github.com/vf-offload/vf-offload/e2e/nic"
	"github.com/vf-offload/vf-offload/pkg/kubeovn"
)

func snapshot(t *testing.T, b *bed.Bed) bed.Snapshot {
	t.Helper()
	s, err := b.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// ovsIface returns the Interface row of name.
func ovsIface(t *testing.T, s bed.Snapshot, name string) bed.OVSInterface {
	t.Helper()
	for _, it := range s.Interfaces {
		if it.Name == name {
			return it
		}
	}
	t.Fatalf("no OVS interface %s in\n%s", name, s)
	return bed.OVSInterface{}
}

func checkPort(t *testing.T, b *bed.Bed, s bed.Snapshot, p *bed.Pod, port string) {
	t.Helper()
	found := false
	for _, name := range s.Bridges["br-int"] {
		found = found || name == port
	}
	if !found {
		t.Errorf("port %s not on br-int: %v", port, s.Bridges["br-int"])
	}
	it := ovsIface(t, s, port)
	want := map[string]string{"iface-id": p.Name + "." + p.Namespace, "vendor": "kube-ovn", "pod_name": p.Name,
		"pod_namespace": p.Namespace, "pod_netns": p.Netns, "ip": p.IP.IP.String()}
	for k, v := range want {
		if it.ExternalIDs[k] != v {
			t.Errorf("port %s external_ids:%s = %q, want %q", port, k, it.ExternalIDs[k], v)
		}
	}
	if !it.OFPortOK || it.Error != "" {
		t.Errorf("port %s: ofport>0=%t error=%q", port, it.OFPortOK, it.Error)
	}
}

// TestStandInTwoPodsPing: two pods wired by the Kube-OVN stand-in through
// [kube-ovn, portmap] ping each other across br-int; DEL restores the node.
func TestStandInTwoPodsPing(t *testing.T) {
	b := bed.New(t, bed.Options{})
	ctx := context.Background()
	a, c := b.NewPod("pod-a", "default"), b.NewPod("pod-b", "default")
	chain := b.ChainKubeOVN(false)
	before := snapshot(t, b)
	for _, p := range []*bed.Pod{a, c} {
		res, err := b.Add(ctx, chain, p, "eth0", nil)
		if err != nil {
			t.Fatal(err)
		}
		r, err := current.NewResultFromResult(res)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Interfaces) != 1 || r.Interfaces[0].Name != "eth0" || r.Interfaces[0].Mac != p.MAC.String() ||
			r.Interfaces[0].Sandbox != p.Netns || len(r.IPs) != 1 || r.IPs[0].Address.String() != p.IP.String() {
			t.Errorf("pod %s: unexpected result %s", p.Name, res)
		}
		if err := b.Check(ctx, chain, p, "eth0", nil); err != nil {
			t.Error(err)
		}
	}
	during := snapshot(t, b)
	if bed.Diff(before, during) == "" {
		t.Fatalf("snapshot saw no change after ADD:\n%s", during)
	}
	t.Logf("ADD changed:\n%s", bed.Diff(before, during))
	for _, p := range []*bed.Pod{a, c} {
		checkPort(t, b, during, p, kubeovn.PortName(p.ContainerID, "eth0"))
	}
	if rtts, err := a.Ping(c.IP.IP, 3, time.Second); err != nil {
		t.Error(err)
	} else {
		t.Logf("pod-a -> pod-b: %d replies, first %v", len(rtts), rtts[0])
	}
	if _, err := c.Ping(a.IP.IP, 1, time.Second); err != nil {
		t.Error(err)
	}
	if err := b.Status(ctx, chain); err != nil {
		t.Error(err)
	}
	for _, p := range []*bed.Pod{a, c} {
		if err := b.Del(ctx, chain, p, "eth0", nil); err != nil {
			t.Fatal(err)
		}
	}
	if d := bed.Diff(before, snapshot(t, b)); d != "" {
		t.Errorf("DEL did not restore the node:\n%s", d)
	}
	// DEL is idempotent: a second one succeeds and changes nothing.
	if err := b.Del(ctx, chain, a, "eth0", nil); err != nil {
		t.Error(err)
	}
	if err := b.GC(ctx, chain); err != nil {
		t.Error(err)
	}
	// DEL after the runtime already destroyed the netns succeeds and removes the port.
	if _, err := b.Add(ctx, chain, c, "eth0", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Destroy(); err != nil {
		t.Fatal(err)
	}
	if err := b.Del(ctx, chain, c, "eth0", nil); err != nil {
		t.Errorf("DEL with the netns gone: %v", err)
	}
	if ports, err := b.OVS.Vsctl("list-ports", "br-int"); err != nil || strings.TrimSpace(ports) != "" {
		t.Errorf("ports left after DEL with the netns gone: %q %v", ports, err)
	}
}

// TestStandInThroughCNITool runs the same ADD/DEL with the real cnitool binary.
func TestStandInThroughCNITool(t *testing.T) {
	b := bed.New(t, bed.Options{})
	p := b.NewPod("tool", "demo")
	chain := b.ChainKubeOVN(false)
	before := snapshot(t, b)
	out, err := b.CNITool("add", chain, p, "eth0", nil)
	if err != nil {
		t.Fatal(err)
	}
	var res current.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.IPs) != 1 || res.IPs[0].Address.String() != p.IP.String() {
		t.Errorf("cnitool add printed %q (%v)", out, err)
	}
	port := kubeovn.PortName(bed.CNIToolContainerID(p.Netns), "eth0")
	checkPort(t, b, snapshot(t, b), p, port)
	if ip, err := p.Exec("ip", "-4", "-o", "addr", "show", "dev", "eth0"); err != nil || !strings.Contains(ip, p.IP.String()) {
		t.Errorf("pod eth0: %q %v", ip, err)
	}
	if _, err := b.CNITool("check", chain, p, "eth0", nil); err != nil {
		t.Error(err)
	}
	if _, err := b.CNITool("del", chain, p, "eth0", nil); err != nil {
		t.Fatal(err)
	}
	if d := bed.Diff(before, snapshot(t, b)); d != "" {
		t.Errorf("cnitool del did not restore the node:\n%s", d)
	}
}

// TestMultusDeviceID: the Multus-like helper puts deviceID/pciBusID into
// every entry, and libcni passes runtimeConfig.deviceID only to plugins
// declaring the capability (what each plugin received is recorded).
func TestMultusDeviceID(t *testing.T) {
	b := bed.New(t, bed.Options{})
	p := b.NewPod("multus", "default")
	const pci = "0000:03:08.1"
	chain := b.ChainKubeOVN(false)
	chain.Plugins[1]["capabilities"] = map[string]any{"portMappings": true, "deviceID": true, "CNIDeviceInfoFile": true}
	mchain, caps, err := b.Multus(chain, pci)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Add(context.Background(), mchain, p, "eth0", caps); err != nil {
		t.Fatal(err)
	}
	for _, plugin := range []string{"kube-ovn", "portmap"} {
		calls, err := b.Calls(plugin)
		if err != nil || len(calls) != 1 || calls[0].Command != "ADD" {
			t.Fatalf("%s calls: %+v %v", plugin, calls, err)
		}
		in := calls[0].Stdin
		if in["deviceID"] != pci || in["pciBusID"] != pci {
			t.Errorf("%s got deviceID=%v pciBusID=%v", plugin, in["deviceID"], in["pciBusID"])
		}
		rc, _ := in["runtimeConfig"].(map[string]any)
		if plugin == "portmap" && (rc["deviceID"] != pci || rc["CNIDeviceInfoFile"] != caps["CNIDeviceInfoFile"]) {
			t.Errorf("portmap (declares deviceID) got runtimeConfig %v", rc)
		}
		if plugin == "kube-ovn" && rc["deviceID"] != nil {
			t.Errorf("kube-ovn (declares nothing) got runtimeConfig %v", rc)
		}
	}
	if err := b.Del(context.Background(), mchain, p, "eth0", caps); err != nil {
		t.Error(err)
	}
}

// mounts returns the lines of /proc/self/mountinfo that mention s.
func mounts(t *testing.T, s string) []string {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return out
}

// processesMentioning lists pids whose command line mentions s.
func processesMentioning(s string) []string {
	var out []string
	cmdlines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, f := range cmdlines {
		if data, err := os.ReadFile(f); err == nil && strings.Contains(string(data), s) {
			out = append(out, fmt.Sprintf("%s: %q", f, strings.ReplaceAll(string(data), "\x00", " ")))
		}
	}
	return out
}

func netnsEntries(t *testing.T) map[string]bool {
	ents, err := os.ReadDir("/run/netns")
	m := map[string]bool{}
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, e := range ents {
		m[e.Name()] = true
	}
	return m
}

// TestNothingLeftBehind: after Close of a bed with a wired pod, no netns,
// process, mount or directory of the bed remains.
func TestNothingLeftBehind(t *testing.T) {
	agilio := nic.Agilio()
	for name, opts := range map[string]bed.Options{"veth": {}, "agilio-offload": {NIC: &agilio, NumVFs: 2}} {
		t.Run(name, func(t *testing.T) { nothingLeftBehind(t, opts) })
	}
}

func nothingLeftBehind(t *testing.T, opts bed.Options) {
	if why := bed.Missing(); why != "" {
		bed.New(t, opts) // skips or fails with the reason
	}
	opts.Logf = t.Logf
	start := time.Now()
	b, err := bed.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("bed start: %v", time.Since(start))
	p, err := b.AddPod("leftover", "default")
	if err != nil {
		t.Fatal(err)
	}
	chain, caps := b.ChainKubeOVN(false), map[string]any(nil)
	if b.NIC != nil {
		if chain, caps, err = b.Multus(b.ChainKubeOVN(true), b.NIC.VFs[1].PCI); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.Add(context.Background(), chain, p, "eth0", caps); err != nil {
		t.Fatal(err)
	}
	if ns := netnsEntries(t); !ns["vfo-"+b.ID+"-node"] || !ns[p.NetnsName] {
		t.Fatalf("bed netns missing from /run/netns: %v", ns)
	}
	pids := b.OVS.PIDs()
	if len(pids) != 2 || len(processesMentioning(b.Dir)) == 0 {
		t.Fatalf("OVS pids %v, processes %v", pids, processesMentioning(b.Dir))
	}
	start = time.Now()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("bed stop (one pod wired, not deleted): %v", time.Since(start))
	// Other test processes may add netns meanwhile: look at this bed's only.
	for name := range netnsEntries(t) {
		if strings.HasPrefix(name, "vfo-"+b.ID+"-") {
			t.Errorf("netns %s left behind", name)
		}
	}
	for _, pid := range pids {
		if data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil && len(data) > 0 {
			t.Errorf("OVS process %d still running: %q", pid, data)
		}
	}
	if ps := processesMentioning(b.Dir); len(ps) > 0 {
		t.Errorf("processes left behind: %v", ps)
	}
	if m := mounts(t, b.Dir); len(m) > 0 {
		t.Errorf("mounts left behind: %v", m)
	}
	if _, err := os.Stat(b.Dir); !os.IsNotExist(err) {
		t.Errorf("bed dir %s left behind (%v)", b.Dir, err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestStandInOffload: with a deviceID and "offload": true, the stand-in does
// Kube-OVN's own VF wiring on the emulated NIC: the VF is eth0 in the pod
// (its host name in ifalias), the representor is <cid12>_h on br-int; two
// such pods ping each other. DEL leaves the VF in the pod, as Kube-OVN does;
// destroying the netns brings it back (emulated kernel behaviour).
func TestStandInOffload(t *testing.T) {
	for _, prof := range []nic.Profile{nic.Agilio(), nic.ConnectX5()} {
		t.Run(prof.Name, func(t *testing.T) {
			b := bed.New(t, bed.Options{NIC: &prof, NumVFs: 2})
			ctx := context.Background()
			chain := b.ChainKubeOVN(true)
			pods := []*bed.Pod{b.NewPod("vf-a", "default"), b.NewPod("vf-b", "default")}
			caps := make([]map[string]any, 2)
			chains := make([]bed.Conflist, 2)
			for i, p := range pods {
				var err error
				if chains[i], caps[i], err = b.Multus(chain, b.NIC.VFs[i].PCI); err != nil {
					t.Fatal(err)
				}
				if _, err := b.Add(ctx, chains[i], p, "eth0", caps[i]); err != nil {
					t.Fatal(err)
				}
			}
			s := snapshot(t, b)
			for i, p := range pods {
				vf, port := b.NIC.VFs[i], kubeovn.PortName(p.ContainerID, "eth0")
				checkPort(t, b, s, p, port)
				if l := s.Pods[p.Name]; len(l) != 2 || l[0].Name != "eth0" || l[0].MAC != p.MAC.String() || l[0].Alias != vf.Netdev {
					t.Errorf("pod %s links %+v, want eth0 with MAC %s alias %s", p.Name, l, p.MAC, vf.Netdev)
				}
				for _, l := range s.Node {
					if l.Name == vf.Netdev || l.Name == vf.Rep {
						t.Errorf("%s still in the node", l.Name)
					}
					if l.Name == port && (l.MAC != vf.RepMAC || !l.Up || l.MTU != 1400) {
						t.Errorf("port %s is not representor %s up with MTU 1400: %+v", port, vf.Rep, l)
					}
				}
			}
			if _, err := pods[0].Ping(pods[1].IP.IP, 3, time.Second); err != nil {
				t.Error(err)
			}
			for i, p := range pods {
				if err := b.Del(ctx, chains[i], p, "eth0", caps[i]); err != nil {
					t.Fatal(err)
				}
			}
			s = snapshot(t, b)
			if len(s.Bridges["br-int"]) != 0 {
				t.Errorf("ports left on br-int after DEL: %v", s.Bridges["br-int"])
			}
			if l := s.Pods["vf-a"]; len(l) != 2 || l[0].Name != "eth0" {
				t.Errorf("Kube-OVN's DEL should leave the VF in the pod, pod links: %+v", l)
			}
			back, err := pods[0].Destroy()
			if err != nil || back[b.NIC.VFs[0].PCI] == "" {
				t.Errorf("destroy pod netns: VFs back %v, %v", back, err)
			}
			t.Logf("VFs back after netns destroy: %v", back)
		})
	}
}
