package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/containernetworking/cni/libcni"

	"github.com/vf-offload/vf-offload/e2e/bed"
	"github.com/vf-offload/vf-offload/e2e/nic"
)

// kubeOVN is Kube-OVN's part of a pod's network, which the bench runs but
// never times: its ADD leaves the pod in the veth state or, with offload,
// in the already-offloaded state (the VF in the pod, its representor on
// br-int under the port name), and its result is vf-offload's prevResult;
// its DEL runs after vf-offload's. Two implementations: realKubeOVN (the
// real Kube-OVN CNI binary and daemon against a real API server,
// realkubeovn.go) and standIn (the bed's stand-in, e2e/kubeovn); -kubeovn
// picks one. Nothing of it is timed.
type kubeOVN interface {
	// name says which Kube-OVN did the part, for the report.
	name() string
	// prepare gives the new pod p what Kube-OVN needs before its ADD (the
	// real one: the Pod object with its allocation, and p.UID).
	prepare(ctx context.Context, p *bed.Pod) error
	// add wires pod p on VF vf for the runtime request rt (the same one
	// vf-offload gets) and returns the result as prevResult's JSON.
	add(ctx context.Context, p *bed.Pod, vf nic.VF, offload bool, rt *libcni.RuntimeConf) ([]byte, error)
	// del undoes add and prepare (vf-offload's DEL has run before it).
	del(ctx context.Context, p *bed.Pod, vf nic.VF, offload bool, rt *libcni.RuntimeConf) error
}

// standIn is kubeOVN done by the bed's Kube-OVN stand-in: the first entry
// of the bed's full chain as Multus hands it over (deviceID in every entry),
// run through libcni with the bench's exec.
type standIn struct {
	b   *bed.Bed
	cni *libcni.CNIConfig
}

func (s *standIn) name() string { return "the bed's Kube-OVN stand-in (e2e/kubeovn)" }

// prepare: the stand-in takes the pod's IP and MAC from CNI_ARGS.
func (s *standIn) prepare(context.Context, *bed.Pod) error { return nil }

func (s *standIn) list(vf nic.VF, offload bool) (*libcni.NetworkConfigList, error) {
	c, _, err := s.b.Multus(s.b.ChainFull(offload), vf.PCI)
	if err != nil {
		return nil, err
	}
	ko := bed.Conflist{Name: c.Name, CNIVersion: c.CNIVersion, Plugins: c.Plugins[:1]}
	return libcni.ConfListFromBytes(ko.Bytes())
}

func (s *standIn) add(ctx context.Context, _ *bed.Pod, vf nic.VF, offload bool, rt *libcni.RuntimeConf) ([]byte, error) {
	list, err := s.list(vf, offload)
	if err != nil {
		return nil, err
	}
	r, err := s.cni.AddNetworkList(ctx, list, rt)
	if err != nil {
		return nil, fmt.Errorf("kube-ovn stand-in ADD (offload %v): %w", offload, err)
	}
	var buf bytes.Buffer
	if err := r.PrintTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (s *standIn) del(ctx context.Context, _ *bed.Pod, vf nic.VF, offload bool, rt *libcni.RuntimeConf) error {
	list, err := s.list(vf, offload)
	if err != nil {
		return err
	}
	if err := s.cni.DelNetworkList(ctx, list, rt); err != nil {
		return fmt.Errorf("kube-ovn stand-in DEL (offload %v): %w", offload, err)
	}
	return nil
}

// pod is one pod as Kube-OVN left it (veth or already-offloaded state),
// with vf-offload's configuration for the chain's next step.
type pod struct {
	p       *bed.Pod
	vf      nic.VF
	offload bool
	vfo     *libcni.PluginConfig
	rt      *libcni.RuntimeConf
}

// newPod makes a pod on VF i (modulo the NIC's VFs) and runs Kube-OVN's
// ADD for it (untimed); offload asks for the already-offloaded state.
func (bn *bench) newPod(i int, offload bool) (*pod, error) {
	b := bn.b
	bn.seq++
	p, err := b.AddPod(fmt.Sprintf("p%d", bn.seq), "default")
	if err != nil {
		return nil, err
	}
	if err := bn.ko.prepare(bn.ctx, p); err != nil {
		_, _ = p.Destroy()
		return nil, err
	}
	vf := b.NIC.VFs[i%len(b.NIC.VFs)]
	c, caps, err := b.Multus(b.ChainFull(offload), vf.PCI)
	if err != nil {
		return nil, err
	}
	rt := &libcni.RuntimeConf{ContainerID: p.ContainerID, NetNS: p.Netns, IfName: "eth0", Args: p.CNIArgs(), CapabilityArgs: caps}
	prev, err := bn.ko.add(bn.ctx, p, vf, offload, rt)
	if err != nil {
		_, _ = p.Destroy()
		return nil, err
	}
	conf := c.Plugins[1]
	conf["name"], conf["cniVersion"], conf["prevResult"] = "vfo-bench", c.CNIVersion, json.RawMessage(prev)
	raw, err := json.Marshal(conf)
	if err != nil {
		return nil, err
	}
	pc, err := libcni.ConfFromBytes(raw)
	if err != nil {
		return nil, err
	}
	return &pod{p: p, vf: vf, offload: offload, vfo: pc, rt: rt}, nil
}

// dropPod runs Kube-OVN's DEL (untimed) and deletes the pod netns. After
// the already-offloaded state DEL has given the representor the name it
// derives from its siblings (its original one is unknown to vf-offload),
// or a stable one; it gets the NIC's name back in any case, so that every
// sample, and the baseline, starts from the same node.
func (bn *bench) dropPod(pd *pod) error {
	if err := bn.ko.del(bn.ctx, pd.p, pd.vf, pd.offload, pd.rt); err != nil {
		return err
	}
	if _, err := pd.p.Destroy(); err != nil {
		return err
	}
	if !pd.offload {
		return nil
	}
	alt := fmt.Sprintf("vfo%s-rep%d", bn.b.NIC.ID, pd.vf.Index) // the emulated NIC's altname (e2e/nic)
	return bn.node("link", "set", "dev", alt, "name", pd.vf.Rep)
}
