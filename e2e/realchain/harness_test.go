package realchain

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/containernetworking/cni/pkg/types"

	"github.com/vf-offload/vf-offload/e2e/bed"
	"github.com/vf-offload/vf-offload/e2e/nic"
	"github.com/vf-offload/vf-offload/e2e/realkubeovn"
)

// resource is the device plugin resource conf/'s NADs name.
const resource = "corigine.com/agilio_sriov"

// node is one bed running the real Kube-OVN daemon, with Multus as the
// runtime's CNI plugin.
type node struct {
	t      testing.TB
	b      *bed.Bed
	k      *realkubeovn.Node
	multus bed.Conflist
	ckpt   []checkpointEntry
	nextVF int
	pods   int
}

// checkpointEntry is one entry of the kubelet's device-manager checkpoint,
// in the kubelet's own format (what Multus reads when no pod-resources
// socket exists).
type checkpointEntry struct {
	PodUID        string
	ContainerName string
	ResourceName  string
	DeviceIDs     map[string][]string
	AllocResp     []byte
}

func newNode(t testing.TB) *node {
	t.Helper()
	need(t)
	agilio := nic.Agilio()
	b := bed.New(t, bed.Options{NIC: &agilio, NumVFs: 4, NodeRoot: true, Plugins: map[string]string{
		"multus":   env.comps.Get("multus").Path,
		"kube-ovn": env.comps.Get("kube-ovn").Path,
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	t0 := time.Now()
	k, err := realkubeovn.Join(ctx, env.c, b, env.comps.Get("kube-ovn-daemon").Path)
	t.Cleanup(func() {
		if k == nil {
			return
		}
		if t.Failed() {
			if k.Binder != nil {
				t.Logf("ovn-installed stand-in: bound %v, errors %v", k.Binder.Bound, k.Binder.Errs)
			}
			out, _ := b.OVS.Vsctl("--columns=name,ofport,error,external_ids", "list", "interface")
			t.Logf("OVS interfaces:\n%s", out)
		}
		if err := k.Close(); err != nil {
			t.Errorf("stop kube-ovn daemon: %v", err)
		}
		if t.Failed() {
			t.Logf("kube-ovn daemon log (tail):\n%s", k.LogTail(40))
		}
	})
	if err != nil {
		t.Fatalf("start the real Kube-OVN daemon: %v", err)
	}
	t.Logf("node %s: kube-ovn daemon ready in %s", k.Name, time.Since(t0).Round(time.Millisecond))
	n := &node{t: t, b: b, k: k}
	n.multus = n.multusConflist(k.Kubeconfig)
	return n
}

// multusConflist is the Multus thin plugin's configuration as its DaemonSet
// writes it on a node: the cluster default network (Kube-OVN's own
// conflist) as its delegate, the kubeconfig, the CNI binary directory.
func (n *node) multusConflist(kubeconfig string) bed.Conflist {
	data, err := os.ReadFile(env.comps.Manifest("01-kube-ovn.conflist"))
	if err != nil {
		n.t.Fatal(err)
	}
	var delegate map[string]any
	if err := json.Unmarshal(data, &delegate); err != nil {
		n.t.Fatalf("01-kube-ovn.conflist: %v", err)
	}
	version, _ := delegate["cniVersion"].(string)
	return bed.Conflist{Name: "multus-cni-network", CNIVersion: version, Plugins: []map[string]any{{
		"type": "multus", "kubeconfig": kubeconfig, "binDir": n.b.CNIPath,
		"cniDir": "/var/lib/cni/multus", "logFile": "/var/log/multus.log", "logLevel": "debug", "logToStderr": false,
		"delegates": []any{delegate},
	}}}
}

// podOpts describe a pod as an operator writes it.
type podOpts struct {
	defaultNet string // v1.multus-cni.io/default-network ("" = the cluster default)
	networks   string // k8s.v1.cni.cncf.io/networks
	vfs        int    // VFs the pod requests, which the device plugin gives it
}

// kpod is a pod that exists as an API object and as a sandbox on the node.
type kpod struct {
	*bed.Pod
	VFs   []nic.VF               // the VFs the device plugin gave it, in order
	Alloc map[string]*allocation // by provider
}

type allocation struct {
	IP  net.IP
	MAC string
}

// providerOf is the Kube-OVN provider a network selection ends up on.
func providerOf(nad string) string {
	if nad == "" {
		return "ovn"
	}
	ns, name, _ := strings.Cut(nad, "/")
	return name + "." + ns + ".ovn"
}

// pod creates the Pod object (node, annotations, VF request) with the
// controller's address allocations for each network, the device plugin's
// allocation in the kubelet checkpoint, and the sandbox netns.
func (n *node) pod(name string, o podOpts) *kpod {
	t := n.t
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n.pods++
	p := &kpod{Alloc: map[string]*allocation{}}
	if n.nextVF+o.vfs > len(n.b.NIC.VFs) {
		t.Fatalf("pod %s wants %d VFs, %d left", name, o.vfs, len(n.b.NIC.VFs)-n.nextVF)
	}
	p.VFs = n.b.NIC.VFs[n.nextVF : n.nextVF+o.vfs]
	n.nextVF += o.vfs
	ann := map[string]string{}
	if o.defaultNet != "" {
		ann["v1.multus-cni.io/default-network"] = o.defaultNet
	}
	if o.networks != "" {
		ann["k8s.v1.cni.cncf.io/networks"] = o.networks
	}
	providers := []string{providerOf(o.defaultNet)}
	for _, sel := range strings.Split(o.networks, ",") {
		if sel = strings.TrimSpace(sel); sel != "" {
			providers = append(providers, providerOf(sel))
		}
	}
	var allocs []realkubeovn.Allocation
	for _, prov := range providers {
		a, err := realkubeovn.NewAllocation("default", name, n.k.Name, realkubeovn.Nets()[prov], 10+n.pods)
		if err != nil {
			t.Fatal(err)
		}
		allocs = append(allocs, a)
		p.Alloc[prov] = &allocation{IP: net.ParseIP(a.IP).To4(), MAC: a.MAC}
	}
	uid, err := realkubeovn.Place(ctx, env.c, realkubeovn.Pod{Name: name, Namespace: "default", Node: n.k.Name,
		Annotations: ann, Resource: resource, VFs: o.vfs}, allocs...)
	t.Cleanup(func() { _ = realkubeovn.Unplace(context.Background(), env.c, "default", name, allocs...) })
	if err != nil {
		t.Fatalf("pod %s: %v", name, err)
	}
	if o.vfs > 0 {
		var ids []string
		for _, vf := range p.VFs {
			ids = append(ids, vf.PCI)
		}
		n.ckpt = append(n.ckpt, checkpointEntry{PodUID: uid, ContainerName: "app", ResourceName: resource,
			DeviceIDs: map[string][]string{"0": ids}})
		n.writeCheckpoint()
	}
	p.Pod = n.b.NewPod(name, "default")
	p.Pod.UID = uid
	return p
}

func (n *node) writeCheckpoint() {
	file := n.b.NodePath("/var/lib/kubelet/device-plugins/kubelet_internal_checkpoint")
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		n.t.Fatal(err)
	}
	data, _ := json.Marshal(map[string]any{"Data": map[string]any{"PodDeviceEntries": n.ckpt,
		"RegisteredDevices": map[string][]string{resource: n.allVFs()}}, "Checksum": 0})
	if err := os.WriteFile(file, data, 0o644); err != nil {
		n.t.Fatal(err)
	}
}

func (n *node) allVFs() []string {
	var out []string
	for _, vf := range n.b.NIC.VFs {
		out = append(out, vf.PCI)
	}
	return out
}

// add runs the runtime's ADD: libcni calls Multus for eth0.
func (n *node) add(p *kpod) (types.Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	return n.b.Add(ctx, n.multus, p.Pod, "eth0", nil)
}

// del runs the runtime's DEL.
func (n *node) del(p *kpod) error {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	return n.b.Del(ctx, n.multus, p.Pod, "eth0", nil)
}

// check runs the runtime's CHECK, with Multus' configuration at another
// cniVersion unless version is "".
func (n *node) check(p *kpod, version string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := n.multus.Clone()
	if version != "" {
		c.CNIVersion = version
	}
	return n.b.Check(ctx, c, p.Pod, "eth0", nil)
}

// annotations returns the pod object's annotations.
func (n *node) annotations(name string) map[string]string {
	var obj struct {
		Metadata struct {
			Annotations map[string]string `json:"annotations"`
		} `json:"metadata"`
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := env.c.Get(ctx, "/api/v1/namespaces/default/pods/"+name, &obj); err != nil {
		n.t.Fatal(err)
	}
	return obj.Metadata.Annotations
}

// networkStatus decodes Multus' k8s.v1.cni.cncf.io/network-status annotation.
type netStatus struct {
	Name       string         `json:"name"`
	Interface  string         `json:"interface"`
	IPs        []string       `json:"ips"`
	MAC        string         `json:"mac"`
	Default    bool           `json:"default"`
	DeviceInfo map[string]any `json:"device-info"`
}

func (n *node) networkStatus(name string) []netStatus {
	raw := n.annotations(name)["k8s.v1.cni.cncf.io/network-status"]
	var out []netStatus
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		n.t.Fatalf("network-status of pod %s: %v (%q)", name, err, raw)
	}
	return out
}
