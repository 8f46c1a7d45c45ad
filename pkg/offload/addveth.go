package offload

import (
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"sync"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/vf-offload/vf-offload/pkg/link"
	"github.com/vf-offload/vf-offload/pkg/ovsdb"
	"github.com/vf-offload/vf-offload/pkg/state"
)

// addVeth replaces Kube-OVN's veth with the VF. Kube-OVN's veth is renamed
// aside, not deleted, until the representor's port is open, so every step
// before that can be undone back to Kube-OVN's wiring.
func (a *adding) addVeth() error {
	if a.dev.Netdev == "" {
		return fmt.Errorf("VF %s has no netdev in the host netns: is it in use by another pod?", a.pci)
	}
	var podIf *link.Iface
	if err := a.inPod(func() (err error) { podIf, err = link.ReadIface(a.args.IfName); return }); err != nil {
		return fmt.Errorf("read pod interface %s: %w", a.args.IfName, err)
	}
	if podIf.Type != "veth" {
		return fmt.Errorf("pod interface %s is a %s, not Kube-OVN's veth", a.args.IfName, podIf.Type)
	}
	kport, err := a.ovs.Port(a.port)
	if err != nil {
		return err
	}
	if kport == nil { // on which bridge, the handover's transaction checks
		return fmt.Errorf("Kube-OVN's port %s is not in OVSDB (bridge %s)", a.port, a.conf.Bridge)
	}
	if _, _, err := link.Get(a.port); err != nil {
		return fmt.Errorf("Kube-OVN's host veth: %w", err)
	}
	_, vf, err := link.Get(a.dev.Netdev)
	if err != nil {
		return err
	}
	_, rep, err := link.Get(a.dev.Rep)
	if err != nil {
		return err
	}
	a.att.VF.Name, a.att.VF.MAC, a.att.VF.MTU, a.att.VF.Up, a.att.VF.Alias = vf.Name, vf.MAC, vf.MTU, vf.Up, vf.Alias
	a.att.Rep.Name, a.att.Rep.MTU, a.att.Rep.Up = rep.Name, rep.MTU, rep.Up
	a.att.PF = a.dev.PFNetdev()
	a.repMAC, a.mtu = rep.MAC, podIf.MTU
	if mac, err := link.VFAdminMAC(a.att.PF, a.dev.Index); err == nil {
		a.att.VF.AdminMAC = mac
	}
	a.att.PortExternalIDs = maps.Clone(kport.ExternalIDs)
	if err := a.saveState(state.PhaseAdding); err != nil {
		return err
	}
	podAside := asideName(a.args.IfName)
	repBack := func() error {
		if err := link.RenameLive(a.port, rep.Name); err != nil {
			return err
		}
		return link.Restore(rep.Name, rep)
	}

	// The host side goes first: once the handover is committed, ovs-vswitchd
	// reopens the port while the pod side is done (the VF's move waits for
	// the kernel), and ADD waits for vswitchd only after that.
	steps := []struct {
		name string
		do   func() error
		undo func() error
	}{
		{"set VF admin MAC", func() error { return a.setAdminMAC(podIf.MAC) }, func() error { return a.restoreAdminMAC() }},
		{"set Kube-OVN's host veth aside", a.hostVethAside, a.hostVethBack},
		// The MTU goes with the name, before the handover: set after it, it
		// would make ovs-vswitchd reconfigure the bridge once more (and, on
		// the userspace datapath, change br-int's MTU). The up flag cannot:
		// when vswitchd lets go of Kube-OVN's veth it gives back the flags
		// it had changed, by name, and the name is the representor's by
		// then; so the representor goes up only once vswitchd has reopened
		// the port.
		{"rename representor and set its MTU", func() error {
			if err := link.RenameLive(rep.Name, a.port); err != nil {
				return err
			}
			if err := link.SetMTU(a.port, podIf.MTU); err != nil {
				return errors.Join(err, repBack())
			}
			return nil
		}, repBack},
		{"hand Kube-OVN's port to the representor", func() error { return a.claimPort(kport) }, a.releasePort},
		{"set Kube-OVN's veth aside in the pod", func() error {
			return a.inPod(func() error {
				if err := link.SetUp(a.args.IfName, false); err != nil {
					return err
				}
				return link.Rename(a.args.IfName, podAside)
			})
		}, func() error {
			return a.inPod(func() error {
				if err := link.Rename(podAside, a.args.IfName); err != nil {
					return err
				}
				if err := link.SetUp(a.args.IfName, true); err != nil {
					return err
				}
				return link.AddRoutes(a.args.IfName, podIf.Routes)
			})
		}},
		{"move VF into the pod", func() error { return link.Move(a.host, vf.Name, a.pod, a.args.IfName) }, func() error { return a.vfHome(vf) }},
		{"configure VF in the pod", func() error { return a.configureVF(podIf) }, nil},
		{"wait until ovs-vswitchd has opened the representor", func() error {
			_, err := a.ovs.WaitOfport(a.ctx, kport.IfaceUUID, a.port, a.ofport)
			return err
		}, nil},
		{"representor up", func() error {
			if err := link.SetUp(a.port, true); err != nil {
				return err
			}
			return a.saveState(state.PhaseAdded)
		}, nil},
	}
	if err := faultPoint("ADD: state saved"); err != nil {
		return err
	}
	for _, s := range steps {
		if err := a.step(s.name, s.do); err != nil {
			return err
		}
		if s.undo != nil {
			a.undo.push(s.name, s.undo)
		}
		if err := faultPoint("ADD: " + s.name); err != nil {
			return err
		}
	}
	a.dev.Rep = a.port
	a.recordDeviceInfo()
	a.finish(podAside, podIf)
	return nil
}

// hostAsideName is the temporary name of Kube-OVN's host veth end.
func hostAsideName(containerID string) string {
	return "vfo" + containerID[:min(12, len(containerID))]
}

// asideName is the temporary name of Kube-OVN's veth in the pod.
func asideName(ifname string) string {
	h := fnv.New32a()
	h.Write([]byte(ifname))
	return fmt.Sprintf("vfo%08x", h.Sum32())
}

func (a *adding) setAdminMAC(mac string) error {
	err := link.SetVFAdminMAC(a.att.PF, a.dev.Index, mac)
	if err != nil && link.IsVFNotSupported(err) {
		a.log.Warn("PF driver cannot set the VF's administrative MAC; the VF netdev MAC is set instead", "pf", a.att.PF, "err", err)
		return nil
	}
	return err
}

func (a *adding) restoreAdminMAC() error {
	if a.att.VF.AdminMAC == "" {
		return nil
	}
	return link.SetVFAdminMAC(a.att.PF, a.dev.Index, a.att.VF.AdminMAC)
}

// configureVF gives the VF the veth's MAC, MTU, addresses and routes, and
// records its index and MAC in the pod.
func (a *adding) configureVF(podIf *link.Iface) error {
	return a.inPod(func() error {
		if err := link.Configure(a.args.IfName, podIf); err != nil {
			return err
		}
		l, st, err := link.Get(a.args.IfName)
		if err != nil {
			return err
		}
		// Like Kube-OVN, keep the VF's host name in its ifalias, so that even
		// a DEL without state brings it home under its own name.
		if err := netlink.LinkSetAlias(l, a.att.VF.Name); err != nil {
			return fmt.Errorf("set ifalias of %s: %w", a.args.IfName, err)
		}
		a.att.VF.Index = st.Index
		a.vfMAC = l.Attrs().HardwareAddr
		return nil
	})
}

// finish deletes Kube-OVN's veth, now set aside in the pod, and announces
// the VF's addresses, now that its representor is up on the bridge and the
// announcements can reach the network. Both end in an RCU grace period in
// the kernel (the veth's unregistration, the packet socket's release);
// run at once, they share it.
func (a *adding) finish(podAside string, podIf *link.Iface) {
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.Now()
		if err := a.inPod(func() error { return link.Delete(podAside) }); err != nil {
			a.log.Warn("could not delete Kube-OVN's veth", "veth", podAside, "err", err)
		}
		a.timed("delete Kube-OVN's veth (concurrently)", t)
	})
	t := time.Now()
	err := a.inPod(func() error { return link.Announce(a.args.IfName, a.vfMAC, a.att.VF.Index, podIf.Addrs) })
	if err != nil {
		a.log.Warn("address announcement failed", "err", err)
	}
	a.timed("announce the addresses (concurrently)", t)
	wg.Wait()
}

// vfHome brings the VF back from the pod under its host name and settings.
func (a *adding) vfHome(vf link.State) error {
	if err := a.inPod(func() error { return link.Strip(a.args.IfName) }); err != nil {
		return err
	}
	if err := link.Move(a.pod, a.args.IfName, a.host, vf.Name); err != nil {
		return err
	}
	return link.Restore(vf.Name, vf)
}

// claimPort makes Kube-OVN's port, now that the representor carries its
// name, the representor's: the same Port and Interface rows, with
// vf-offload's markers added to the external_ids, to be reopened by
// ovs-vswitchd under OpenFlow port a.ofport (see ovsdb.Client.Claim). One
// transaction; the wait for vswitchd is a later step.
func (a *adding) claimPort(kport *ovsdb.PortInfo) error {
	ids := markedIDs(a.att.PortExternalIDs, a.pci, a.args.ContainerID)
	a.claimed = true // from here on, undo assumes the claim may have committed
	var err error
	a.ofport, err = a.ovs.Claim(a.ctx, kport, ids)
	if errors.Is(err, ovsdb.ErrUncommitted) {
		a.claimed = false
		return err
	}
	if err != nil {
		return errors.Join(err, a.releasePort())
	}
	return nil
}

// releasePort undoes claimPort: the port goes, and once ovs-vswitchd has
// dropped it (so that the name is free of the representor's netdev),
// hostVethBack adds Kube-OVN's port back as it was.
func (a *adding) releasePort() error {
	if !a.claimed || a.portGone {
		return nil
	}
	p, err := a.ovs.Port(a.port)
	if err != nil {
		return err
	}
	if on, err := a.ovs.OnBridge(a.ctx, p); err != nil || !on {
		return err
	}
	if err := a.ovs.DeletePort(a.ctx, p.PortUUID, a.port); err != nil {
		return err
	}
	a.portGone = true
	return a.ovs.Barrier(a.ctx)
}

// hostVethAside renames Kube-OVN's host veth out of the way, up if the
// kernel allows it (see link.RenameLive). OVSDB is not touched: its port
// keeps the name, which the representor takes next; ovs-vswitchd lets go of
// the veth when the handover makes it open the name again.
func (a *adding) hostVethAside() error {
	err := link.RenameLive(a.port, a.hostAside)
	return err
}

// hostVethBack gives Kube-OVN's veth its name back, up, and its port too
// when releasePort removed it. If OVSDB refuses (ovsdb-server gone), the
// port stays away and the state file stays for DEL (see saveState).
func (a *adding) hostVethBack() error {
	if err := link.RenameLive(a.hostAside, a.port); err != nil {
		return err
	}
	if err := link.SetUp(a.port, true); err != nil {
		return err
	}
	if !a.portGone {
		return nil
	}
	p, err := a.ovs.AddPort(a.ctx, a.port, a.att.PortExternalIDs)
	if err != nil {
		return err
	}
	a.portGone = false
	_, err = a.ovs.WaitOpened(a.ctx, p.IfaceUUID, a.port)
	return err
}
