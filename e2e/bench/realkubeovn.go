package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/containernetworking/cni/libcni"

	"github.com/vf-offload/vf-offload/e2e/bed"
	"github.com/vf-offload/vf-offload/e2e/cluster"
	"github.com/vf-offload/vf-offload/e2e/components"
	"github.com/vf-offload/vf-offload/e2e/nic"
	"github.com/vf-offload/vf-offload/e2e/realkubeovn"
)

// realKubeOVN is kubeOVN done by the real Kube-OVN (e2e/realkubeovn): its
// CNI binary, run through libcni with the Kube-OVN entry of
// conf/nad-default.yaml, asks the real daemon on the bed's node to wire the
// pod. For the already-offloaded state the entry carries the top-level
// deviceID and pciBusID, as Multus hands it over, and the daemon wires the
// VF itself; without them it makes its veth. prepare writes what the
// scheduler and kube-ovn-controller would have written before (the Pod
// object bound to the node, its address annotations with routed=true, the
// IP object); del deletes them after Kube-OVN's DEL.
type realKubeOVN struct {
	api     *cluster.Cluster
	node    *realkubeovn.Node
	cni     *libcni.CNIConfig
	nad     realkubeovn.NAD // conf/nad-default.yaml
	entry   map[string]any  // its kube-ovn entry
	net     realkubeovn.Net // the subnet of its provider
	version string          // kube-ovn's pinned version

	mu     sync.Mutex
	host   int                               // the last address number given out
	allocs map[string]realkubeovn.Allocation // by pod name
}

// kubeOVNChoice is what -kubeovn resolved to.
type kubeOVNChoice struct {
	real  bool
	comps *components.Set // with real
	why   string          // why the stand-in, when not asked for
}

// chooseKubeOVN resolves -kubeovn: "real" needs the built components (e2e/components)
// and etcd, "standin" never does; "" takes the real one when it can run
// here and otherwise says why not.
func chooseKubeOVN(want string) (kubeOVNChoice, error) {
	if want != "" && want != "real" && want != "standin" {
		return kubeOVNChoice{}, fmt.Errorf("-kubeovn %q: want real or standin", want)
	}
	if want == "standin" {
		return kubeOVNChoice{}, nil
	}
	comps, err := components.Load()
	why := ""
	if err != nil {
		why = err.Error()
	} else {
		why = realkubeovn.Unavailable(comps)
	}
	switch {
	case why == "":
		return kubeOVNChoice{real: true, comps: comps}, nil
	case want == "real":
		return kubeOVNChoice{}, fmt.Errorf("-kubeovn real: %s", why)
	}
	return kubeOVNChoice{why: why}, nil
}

// bedOptions adds to o what the choice needs: the real Kube-OVN runs
// on a bed with the node's fixed paths and its own CNI binary as kube-ovn.
func (k kubeOVNChoice) bedOptions(o bed.Options) bed.Options {
	if k.real {
		o.NodeRoot = true
		o.Plugins = map[string]string{"kube-ovn": k.comps.Get("kube-ovn").Path}
	}
	return o
}

// startRealKubeOVN makes bed b a node of cluster c running the real daemon.
func startRealKubeOVN(ctx context.Context, c *cluster.Cluster, comps *components.Set, b *bed.Bed, cni *libcni.CNIConfig) (*realKubeOVN, error) {
	nad, err := realkubeovn.ReadNAD(filepath.Join(b.Bins.Repo, "conf", "nad-default.yaml"))
	if err != nil {
		return nil, err
	}
	entry, err := nad.Entry("kube-ovn")
	if err != nil {
		return nil, err
	}
	prov, _ := entry["provider"].(string)
	net, ok := realkubeovn.Nets()[prov]
	if !ok {
		return nil, fmt.Errorf("conf/nad-default.yaml: kube-ovn provider %q has no subnet in the cluster", prov)
	}
	node, err := realkubeovn.Join(ctx, c, b, comps.Get("kube-ovn-daemon").Path)
	if err != nil {
		if node != nil {
			err = fmt.Errorf("%w\nkube-ovn daemon log (tail):\n%s", err, node.LogTail(30))
		}
		return nil, err
	}
	return &realKubeOVN{api: c, node: node, cni: cni, nad: nad, entry: entry, net: net,
		version: comps.Get("kube-ovn").Version, host: 1, allocs: map[string]realkubeovn.Allocation{}}, nil
}

func (r *realKubeOVN) name() string {
	return fmt.Sprintf("the real Kube-OVN %s (kube-ovn CNI binary and kube-ovn-daemon, e2e/realkubeovn), "+
		"the kube-ovn entry of conf/nad-default.yaml with deviceID and pciBusID for the already-offloaded state", r.version)
}

func (r *realKubeOVN) close() error { return r.node.Close() }

func (r *realKubeOVN) prepare(ctx context.Context, p *bed.Pod) error {
	r.mu.Lock()
	r.host++
	host := r.host
	r.mu.Unlock()
	a, err := realkubeovn.NewAllocation(p.Namespace, p.Name, r.node.Name, r.net, host)
	if err != nil {
		return err
	}
	uid, err := realkubeovn.Place(ctx, r.api, realkubeovn.Pod{Name: p.Name, Namespace: p.Namespace, Node: r.node.Name,
		Annotations: map[string]string{"v1.multus-cni.io/default-network": r.nad.Namespace + "/" + r.nad.Name},
		Resource:    r.nad.Resource, VFs: 1}, a)
	if err != nil {
		return errors.Join(err, realkubeovn.Unplace(ctx, r.api, p.Namespace, p.Name, a))
	}
	p.UID = uid
	r.mu.Lock()
	r.allocs[p.Name] = a
	r.mu.Unlock()
	return nil
}

// list is Kube-OVN's entry as Multus hands it over: with offload the
// top-level deviceID and pciBusID of the VF.
func (r *realKubeOVN) list(vf nic.VF, offload bool) (*libcni.NetworkConfigList, error) {
	e := map[string]any{}
	for k, v := range r.entry {
		e[k] = v
	}
	if offload {
		e["deviceID"], e["pciBusID"] = vf.PCI, vf.PCI
	}
	c := bed.Conflist{Name: r.nad.ListName, CNIVersion: r.nad.CNIVersion, Plugins: []map[string]any{e}}
	return libcni.ConfListFromBytes(c.Bytes())
}

func (r *realKubeOVN) add(ctx context.Context, p *bed.Pod, vf nic.VF, offload bool, rt *libcni.RuntimeConf) ([]byte, error) {
	list, err := r.list(vf, offload)
	if err != nil {
		return nil, err
	}
	var res []byte
	// The daemon reads the pod from its informer: right after Place it
	// may not have it yet ("get pod ... not found", before any wiring).
	for try := 0; ; try++ {
		out, err := r.cni.AddNetworkList(ctx, list, rt)
		if err == nil {
			var buf bytes.Buffer
			if err := out.PrintTo(&buf); err != nil {
				return nil, err
			}
			res = buf.Bytes()
			break
		}
		if try < 20 && strings.Contains(err.Error(), "get pod") && strings.Contains(err.Error(), "not found") {
			logf("real Kube-OVN ADD of pod %s: the daemon does not see the pod yet, again", p.Name)
			time.Sleep(50 * time.Millisecond)
			continue
		}
		err = fmt.Errorf("real Kube-OVN ADD of pod %s on VF %s (offload %v): %w\nkube-ovn daemon log (tail):\n%s",
			p.Name, vf.PCI, offload, err, r.node.LogTail(20))
		return nil, errors.Join(err, r.unplace(ctx, p))
	}
	// The state asked for, or the bench would time the wrong path: with
	// the device ID Kube-OVN moved the VF into the pod, without it the VF
	// is still in the node.
	inNode := exec.Command("ip", "-n", filepath.Base(r.node.Bed.NodeNS), "link", "show", "dev", vf.Netdev).Run() == nil
	if inNode == offload {
		return nil, fmt.Errorf("real Kube-OVN ADD of pod %s (offload %v): VF %s in the node netns afterwards: %v", p.Name, offload, vf.Netdev, inNode)
	}
	return res, nil
}

func (r *realKubeOVN) del(ctx context.Context, p *bed.Pod, vf nic.VF, offload bool, rt *libcni.RuntimeConf) error {
	list, err := r.list(vf, offload)
	if err != nil {
		return err
	}
	if err := r.cni.DelNetworkList(ctx, list, rt); err != nil {
		return fmt.Errorf("real Kube-OVN DEL of pod %s on VF %s (offload %v): %w", p.Name, vf.PCI, offload, err)
	}
	return r.unplace(ctx, p)
}

func (r *realKubeOVN) unplace(ctx context.Context, p *bed.Pod) error {
	r.mu.Lock()
	a, ok := r.allocs[p.Name]
	delete(r.allocs, p.Name)
	r.mu.Unlock()
	if !ok {
		return nil
	}
	return realkubeovn.Unplace(ctx, r.api, p.Namespace, p.Name, a)
}

// startCluster starts the API server the real Kube-OVN's daemon talks to,
// filled as e2e/realchain's (CRDs, Subnets, conf/'s NADs), and returns the
// function that stops it and removes its files.
func startCluster(ctx context.Context, comps *components.Set, repo string) (*cluster.Cluster, func(), error) {
	t := time.Now()
	c, err := realkubeovn.StartCluster(ctx, comps, repo)
	if err != nil {
		return nil, nil, err
	}
	logf("kube-apiserver %s with etcd %s ready and populated in %s", c.Version(), c.EtcdVersion(), time.Since(t).Round(time.Millisecond))
	return c, func() {
		if err := c.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "bench: stop the cluster:", err)
		}
		_ = os.RemoveAll(c.Dir())
	}, nil
}
