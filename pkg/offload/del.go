package offload

import (
	"context"
	"fmt"

	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/plugins/pkg/ns"

	"github.com/vf-offload/vf-offload/pkg/config"
	"github.com/vf-offload/vf-offload/pkg/kubeovn"
	"github.com/vf-offload/vf-offload/pkg/link"
	"github.com/vf-offload/vf-offload/pkg/ovsdb"
	"github.com/vf-offload/vf-offload/pkg/sriov"
	"github.com/vf-offload/vf-offload/pkg/state"
)

// Del is the CNI DEL verb. It runs before Kube-OVN's DEL, with or without
// prevResult, state file or pod netns, and succeeds when there is nothing
// left to do.
func (p *Plugin) Del(args *skel.CmdArgs) error {
	c, err := p.newCall(args, false)
	if err != nil {
		return err
	}
	defer c.close()
	// The session for the usual case (the configured bridge, Kube-OVN's
	// port name) opens while DEL takes the lock and reads the state.
	c.early = c.dialAsync(context.Background(), c.conf.Bridge, kubeovn.PortName(args.ContainerID, args.IfName))
	pci, err := c.deviceID()
	if err != nil {
		c.log.Warn("ignoring unusable device ID on DEL; looking for state instead", "err", err)
		pci = ""
	}
	if pci == "" {
		if pci, err = c.findAttachment(); err != nil || pci == "" {
			return err
		}
	}
	unlock, err := c.lock(pci)
	if err != nil {
		return err
	}
	defer unlock()
	att, err := c.store.Load(pci)
	if err != nil {
		return fmt.Errorf("read state of VF %s: %w", pci, err)
	}
	if att != nil && att.ContainerID == args.ContainerID && att.IfName != args.IfName {
		c.log.Info("VF belongs to this container's other interface: nothing to undo for "+args.IfName,
			"holder_ifname", att.IfName)
		return nil
	}
	if att != nil && att.ContainerID != args.ContainerID {
		c.log.Info("VF is attached to another container: nothing to do", "holder", att.ContainerID, "holder_ifname", att.IfName)
		return nil
	}
	if err := c.release(att, pci); err != nil {
		c.log.Error("DEL failed", "ms", ms(c.start), "err", err)
		return err
	}
	c.log.Info("DEL done", "ms", ms(c.start))
	return nil
}

// findAttachment returns the PCI address of this container's attachment
// from the state directory, "" when there is none.
func (c *call) findAttachment() (string, error) {
	atts, err := c.store.List()
	if err != nil {
		return "", fmt.Errorf("list state in %s: %w", c.conf.StateDir, err)
	}
	for _, a := range atts {
		if a.ContainerID == c.args.ContainerID && a.IfName == c.args.IfName {
			c.log = c.log.With("device", a.PCI)
			c.log.Info("device ID", "source", "state file")
			return a.PCI, nil
		}
	}
	c.log.Info("no device ID and no state for this container: nothing to do")
	return "", nil
}

// release gives VF pci back to the host: representor off the bridge (only a
// port that vf-offload or Kube-OVN made for this container), down, renamed
// back; the VF home under its name with its MAC, MTU and admin MAC; then the
// state file goes. att may be nil (no state): then the call's arguments and
// Kube-OVN's naming are used.
func (c *call) release(att *state.Attachment, pci string) error {
	if att == nil {
		att = &state.Attachment{ContainerID: c.args.ContainerID, IfName: c.args.IfName, Netns: c.args.Netns,
			PCI: pci, Bridge: c.conf.Bridge, Port: kubeovn.PortName(c.args.ContainerID, c.args.IfName)}
	} else if att.Bridge == "" {
		att.Bridge = c.conf.Bridge
	}
	ctx := context.Background()
	pend := c.dialFor(ctx, att.Bridge, att.Port)
	defer pend.close()
	dev, err := sriov.Lookup(pci, att.Port)
	if err != nil {
		c.log.Warn("VF not found: nothing to restore", "err", err)
		return c.store.Remove(pci)
	}
	if att.KubeOVNState == state.KubeOVNOffloaded && dev.Rep == att.Port {
		dev.RepNodeName() // the sysfs reads homeName needs, while the session may still be opening
	}
	ovs, err := pend.get()
	if err != nil {
		return err
	}
	r := &releasing{call: c, att: att, dev: dev, ovs: ovs, ctx: ctx}
	for _, s := range []struct {
		name string
		fn   func() error
	}{
		{"take representor off the bridge", r.unplugRep},
		{"bring VF home", r.vfHome},
		{"remove what an interrupted ADD set aside", r.dropAside},
	} {
		if err := c.step(s.name, s.fn); err != nil {
			return err
		}
		if err := faultPoint("DEL: " + s.name); err != nil {
			return err
		}
	}
	return c.store.Remove(pci)
}

type releasing struct {
	*call
	att       *state.Attachment
	dev       *sriov.Device
	ovs       *ovsdb.Client
	ctx       context.Context
	unplugged bool // the representor carried this container's port name
}

// unplugRep handles the representor when it carries this container's port
// name: port removed if owned, original (or stable) name, MTU and up state
// back.
func (r *releasing) unplugRep() error {
	if r.dev.Rep != r.att.Port {
		return nil
	}
	r.unplugged = true
	p, err := r.ovs.Port(r.att.Port)
	if err != nil {
		return err
	}
	// Removing it from the bridge's ports is a no-op if the bridge does not hold it.
	if p != nil && (p.ExternalIDs[markContainer] == r.att.ContainerID || p.ExternalIDs["vendor"] == "kube-ovn") {
		if err := r.ovs.DeletePort(r.ctx, p.PortUUID, r.att.Port); err != nil {
			return err
		}
	}
	name, why := r.homeName()
	if why == whyOriginal {
		r.log.Debug("representor's name back", "name", name, "why", why)
	} else { // its original name is unknown or taken
		r.log.Info("representor's name back", "name", name, "why", why)
	}
	// Up or down, as ADD renamed it: each change of a link in
	// ovs-vswitchd's netns makes it reconfigure its bridges.
	if err := link.RenameLive(r.att.Port, name); err != nil {
		return err
	}
	r.dev.Rep = name
	return link.Restore(name, link.State{MTU: r.att.Rep.MTU, Up: r.att.Rep.Up})
}

const whyOriginal = "its name before ADD"

// homeName is the name the representor gets back and why: the one ADD
// recorded (its name before ADD); in the already-offloaded state, where
// Kube-OVN had renamed it before ADD saw it, the node's own name for it
// (sriov.Device.RepNodeName: after an idle sibling's, else udev's from the
// uplink's); else, or when that name is taken, the stable name.
func (r *releasing) homeName() (name, why string) {
	stable := sriov.StableRepName(r.dev.PFPCI, r.dev.Index)
	name = r.att.Rep.Name
	switch {
	case r.att.KubeOVNState == state.KubeOVNOffloaded && (name == "" || name == stable):
		// (ADD of earlier versions recorded the derived name, or the stable
		// one when none was derivable.)
		if name = r.dev.RepNodeName(); name == "" {
			return stable, "stable name: no name derivable from sibling representors or uplink " + r.dev.Uplink
		}
		why = "name derived from sibling representors or uplink " + r.dev.Uplink
	case name == "":
		return stable, "stable name: no recorded name"
	case r.att.KubeOVNState == state.KubeOVNOffloaded:
		why = "name derived by ADD from sibling representors or uplink " + r.dev.Uplink
	default:
		why = whyOriginal
	}
	if link.Exists(name) {
		return stable, "stable name: " + name + " (" + why + ") is taken"
	}
	return name, why
}

// vfHome moves the VF out of the pod (or, when the pod netns is gone and the
// kernel returned it, finds it by PCI address) and restores its settings.
func (r *releasing) vfHome() error {
	name := r.att.VF.Name
	moved := false
	if r.dev.Netdev == "" && r.att.Netns != "" {
		var err error
		if moved, err = r.fromPod(&name); err != nil {
			return err
		}
	}
	// A VF moved home by fromPod is there under name (the kernel moves and
	// renames in one request); else sysfs tells where it is.
	cur := name
	if !moved {
		cur = sriov.Netdev(r.dev.PCI)
	}
	if cur != "" {
		if name == "" {
			name = cur
		}
		if cur != name {
			if err := link.Strip(cur); err != nil {
				return err
			}
			if err := link.Rename(cur, name); err != nil {
				return err
			}
		}
	} else if r.att.Phase != state.PhaseNone {
		r.log.Warn("VF netdev not found in the host after release")
		return nil
	}
	if r.att.Phase == state.PhaseNone { // no state: nothing known to restore
		return nil
	}
	if err := link.Restore(name, link.State{MAC: r.att.VF.MAC, MTU: r.att.VF.MTU, Up: r.att.VF.Up, Alias: r.att.VF.Alias}); err != nil {
		return err
	}
	if r.att.VF.AdminMAC != "" && r.att.PF != "" {
		if err := link.SetVFAdminMAC(r.att.PF, r.dev.Index, r.att.VF.AdminMAC); err != nil && !link.IsVFNotSupported(err) {
			return err
		}
	}
	return nil
}

// fromPod moves the VF out of a still existing pod netns and tells whether
// it did. Without state the pod interface is taken to be the VF only if the
// representor carried this container's port name (vf-offload or Kube-OVN
// wired it). The kernel takes the VF down and drops its addresses as it
// leaves the netns.
func (r *releasing) fromPod(name *string) (bool, error) {
	pod, err := ns.GetNS(r.att.Netns)
	if err != nil {
		r.log.Info("pod netns is gone; looking for the VF in the host", "netns", r.att.Netns)
		return false, nil
	}
	defer pod.Close()
	host, err := ns.GetCurrentNS()
	if err != nil {
		return false, err
	}
	defer host.Close()
	found := false
	err = pod.Do(func(ns.NetNS) error {
		_, st, err := link.Get(r.att.IfName)
		if err != nil {
			return nil
		}
		known := r.att.Phase != state.PhaseNone && (r.att.VF.Index == 0 || st.Index == r.att.VF.Index)
		wired := r.att.Phase == state.PhaseNone && r.unplugged
		if !known && !wired {
			return nil
		}
		if *name == "" && config.ValidateIfName(st.Alias) == nil {
			*name = st.Alias
		}
		found = true
		if r.att.Phase == state.PhaseNone {
			return nil
		}
		// MAC, MTU and alias go back while the VF is still in the pod:
		// there, unlike in the host, no ovs-vswitchd reconfigures its
		// bridges for each change. vfHome then finds them as they should be.
		return link.SetAttrs(r.att.IfName, link.State{MAC: r.att.VF.MAC, MTU: r.att.VF.MTU, Alias: r.att.VF.Alias})
	})
	if err != nil || !found {
		return false, err
	}
	if *name == "" {
		*name = "vf" + sriov.StableRepName(r.dev.PFPCI, r.dev.Index)[2:]
	}
	if err := link.Move(pod, r.att.IfName, host, *name); err != nil {
		return false, err
	}
	return true, nil
}

// dropAside deletes Kube-OVN's veth that an ADD which died half way had
// renamed aside, in the host and in the pod (Kube-OVN's own DEL, which runs
// next, looks for it under its usual name only). OVSDB holds nothing
// aside: ADD changes the port only in its one handover transaction.
func (r *releasing) dropAside() error {
	aside := hostAsideName(r.att.ContainerID)
	if err := link.Delete(aside); err != nil { // its peer in the pod goes with it
		return err
	}
	if r.att.Netns == "" || r.att.IfName == "" {
		return nil
	}
	pod, err := ns.GetNS(r.att.Netns)
	if err != nil {
		return nil
	}
	defer pod.Close()
	return pod.Do(func(ns.NetNS) error { return link.Delete(asideName(r.att.IfName)) })
}
