package offload

import (
	"context"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/types"
	current "github.com/containernetworking/cni/pkg/types/100"
	"github.com/containernetworking/plugins/pkg/ns"

	"github.com/vf-offload/vf-offload/pkg/kubeovn"
	"github.com/vf-offload/vf-offload/pkg/ovsdb"
	"github.com/vf-offload/vf-offload/pkg/sriov"
	"github.com/vf-offload/vf-offload/pkg/state"
)

// adding is the context of one ADD after validation.
type adding struct {
	*call
	pci       string
	dev       *sriov.Device
	port      string // Kube-OVN host-side port name
	hostAside string // temporary name of Kube-OVN's host veth
	host      ns.NetNS
	pod       ns.NetNS
	ovs       *ovsdb.Client
	pend      *pendingOVS // the session being opened, then ovs
	prev      *current.Result
	att       *state.Attachment
	undo      *undo
	ctx       context.Context
	podIf     int              // index of the pod interface in prev.Interfaces
	claimed   bool             // the claim of Kube-OVN's port may have committed
	portGone  bool             // undo removed Kube-OVN's port; hostVethBack re-adds it
	repMAC    string           // the representor's MAC, for the result
	vfMAC     net.HardwareAddr // the VF's MAC in the pod
	mtu       int              // the pod interface's MTU, now the VF's and the representor's
	ofport    int              // the OpenFlow port number the handover asked vswitchd for
}

// Add is the CNI ADD verb.
func (p *Plugin) Add(args *skel.CmdArgs) error {
	c, prev, pci, err := p.newChainedCall(args)
	if err != nil {
		return err
	}
	defer c.close()
	if pci == "" {
		c.log.Info("no device ID: passing prevResult through")
		return types.PrintResult(prev, c.conf.CNIVersion)
	}
	podIf, err := podInterface(prev, args.IfName)
	if err != nil {
		return types.NewError(types.ErrInvalidNetworkConfig, "unusable prevResult", err.Error())
	}
	a := &adding{call: c, pci: pci, prev: prev, podIf: podIf, port: kubeovn.PortName(args.ContainerID, args.IfName),
		hostAside: hostAsideName(args.ContainerID),
		undo:      &undo{log: c.log}, ctx: context.Background()}
	// The OVSDB session opens while the lock is taken and the VF looked up.
	a.pend = c.dialAsync(a.ctx, c.conf.Bridge, a.port)
	defer a.pend.close()
	t := time.Now()
	unlock, err := c.lock(pci)
	if err != nil {
		return err
	}
	defer unlock()
	c.timed("lock VF", t)
	res, err := a.run()
	if err != nil {
		if held, _ := c.store.Load(pci); held == nil {
			_ = c.store.Remove(pci) // leave no lock file behind either
		}
		c.log.Error("ADD failed", "ms", ms(c.start), "err", err)
		return err
	}
	c.log.Info("ADD done", "state", a.att.KubeOVNState, "representor", a.port, "ms", ms(c.start))
	return types.PrintResult(res, c.conf.CNIVersion)
}

// run does the ADD; on failure it undoes every step already done, while the
// namespaces and the OVSDB session are still open.
func (a *adding) run() (_ *current.Result, retErr error) {
	if err := a.refuseHeld(); err != nil {
		return nil, err
	}
	var err error
	if a.pod, err = ns.GetNS(a.args.Netns); err != nil {
		return nil, types.NewError(types.ErrInvalidNetNS, fmt.Sprintf("pod netns %s", a.args.Netns), err.Error())
	}
	defer a.pod.Close()
	if a.host, err = ns.GetCurrentNS(); err != nil {
		return nil, fmt.Errorf("host netns: %w", err)
	}
	defer a.host.Close()
	t := time.Now()
	if a.dev, err = sriov.Lookup(a.pci, a.port); err != nil {
		return nil, types.NewError(types.ErrInvalidNetworkConfig, fmt.Sprintf("device %s", a.pci), err.Error())
	}
	a.timed("look up VF", t)
	a.log.Debug("VF found", "index", a.dev.Index, "netdev", a.dev.Netdev, "uplink", a.dev.Uplink, "representor", a.dev.Rep)
	var w *wired
	a.att = &state.Attachment{Version: state.Version, ContainerID: a.args.ContainerID, IfName: a.args.IfName, Netns: a.args.Netns,
		PCI: a.pci, PFPCI: a.dev.PFPCI, VFIndex: a.dev.Index, Bridge: a.conf.Bridge, Port: a.port,
		DeviceInfoFile: a.conf.RuntimeConfig.CNIDeviceInfoFile, Phase: state.PhaseAdding}
	defer func() {
		if retErr != nil {
			a.undo.run()
		}
	}()
	if a.dev.Rep == a.port { // already offloaded: all that needs no OVSDB is done while the session opens
		t = time.Now()
		if w, err = a.readWired(); err != nil {
			return nil, err
		}
		a.timed("read the links Kube-OVN wired", t)
		if err := a.recordOffloaded(w); err != nil {
			return nil, err
		}
	}
	t = time.Now()
	if a.ovs, err = a.pend.get(); err != nil {
		return nil, err
	}
	a.timed("wait for the OVSDB session", t)
	if _, err := a.ovs.BridgeUUID(); err != nil {
		return nil, err
	}
	if w != nil {
		err = a.addOffloaded(w)
	} else {
		a.att.KubeOVNState = state.KubeOVNVeth
		err = a.addVeth()
	}
	if err != nil {
		return nil, err
	}
	return a.result(), nil
}

// refuseHeld fails when another live container holds the VF; a holder
// whose netns is gone is released first.
func (a *adding) refuseHeld() error {
	old, err := a.store.Load(a.pci)
	if err != nil {
		return fmt.Errorf("read state of VF %s: %w", a.pci, err)
	}
	if old == nil {
		return nil
	}
	if old.ContainerID == a.args.ContainerID {
		if old.IfName == a.args.IfName {
			return fmt.Errorf("VF %s is already attached to this container as %s", a.pci, old.IfName)
		}
		// Multus can hand one VF to two interfaces of a pod.
		return fmt.Errorf("VF %s is already this pod's interface %s (container %s); one VF cannot serve two interfaces",
			a.pci, old.IfName, old.ContainerID)
	}
	if _, err := os.Stat(old.Netns); err == nil && old.Netns != "" {
		return fmt.Errorf("VF %s is in use by container %s (netns %s)", a.pci, old.ContainerID, old.Netns)
	}
	a.log.Warn("releasing stale attachment whose netns is gone", "holder", old.ContainerID)
	return a.release(old, a.pci)
}

// saveState records the attachment; the first save is undone last.
func (a *adding) saveState(phase string) error {
	first := a.att.Phase == state.PhaseAdding && phase == state.PhaseAdding
	a.att.Phase = phase
	if err := a.store.Save(a.att); err != nil {
		return fmt.Errorf("save state of VF %s: %w", a.pci, err)
	}
	if first {
		a.undo.push("state file", func() error {
			if a.undo.failed > 0 { // e.g. OVSDB gone: DEL, which reads the state, finishes the rollback
				return fmt.Errorf("state of VF %s kept for DEL: %d rollback steps failed", a.pci, a.undo.failed)
			}
			return a.store.Remove(a.pci)
		})
	}
	return nil
}

// inPod runs fn in the pod's netns (plain calls run in the host's).
func (a *adding) inPod(fn func() error) error { return a.pod.Do(func(ns.NetNS) error { return fn() }) }
