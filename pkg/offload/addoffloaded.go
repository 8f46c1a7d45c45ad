package offload

import (
	"fmt"
	"maps"

	"github.com/vf-offload/vf-offload/pkg/config"
	"github.com/vf-offload/vf-offload/pkg/link"
	"github.com/vf-offload/vf-offload/pkg/sriov"
	"github.com/vf-offload/vf-offload/pkg/state"
)

// addOffloaded keeps the wiring Kube-OVN made itself (VF in the pod, its
// representor renamed to the port name and on the bridge) and corrects what
// is off: missing markers, representor down or with the wrong MTU. It never
// adds a second port.
func (a *adding) addOffloaded() error {
	var podIf *link.Iface
	if err := a.inPod(func() (err error) { podIf, err = link.ReadIface(a.args.IfName); return }); err != nil {
		return fmt.Errorf("read pod interface %s (the VF Kube-OVN wired): %w", a.args.IfName, err)
	}
	port, err := a.ovs.Port(a.port)
	if err != nil {
		return err
	}
	on, err := a.ovs.OnBridge(a.ctx, port)
	if err != nil {
		return err
	}
	if !on {
		return fmt.Errorf("representor %s of VF %s is not a port of bridge %s", a.port, a.pci, a.conf.Bridge)
	}
	_, rep, err := link.Get(a.port)
	if err != nil {
		return err
	}
	// Kube-OVN keeps the VF's host name in its ifalias; the representor's
	// original name is lost, so DEL gives it the name udev gives it, when
	// that can be derived from the uplink's, else a stable derived name.
	a.att.VF.Name = podIf.Alias
	if config.ValidateIfName(podIf.Alias) != nil {
		a.att.VF.Name = ""
	}
	a.att.VF.MAC, a.att.VF.MTU, a.att.VF.Index = podIf.MAC, podIf.MTU, podIf.Index
	a.repMAC, a.mtu = rep.MAC, podIf.MTU
	a.att.Rep.Name, a.att.Rep.MTU = a.dev.RepUdevName(), rep.MTU
	if a.att.Rep.Name == "" {
		a.att.Rep.Name = sriov.StableRepName(a.dev.PFPCI, a.dev.Index)
	}
	a.att.PortExternalIDs = maps.Clone(port.ExternalIDs)
	if err := a.saveState(state.PhaseAdding); err != nil {
		return err
	}
	if port.ExternalIDs[markContainer] != a.args.ContainerID {
		ids := markedIDs(port.ExternalIDs, a.pci, a.args.ContainerID)
		if err := a.step("mark representor port", func() error {
			return a.ovs.SetExternalIDs(a.ctx, port.IfaceUUID, a.port, ids)
		}); err != nil {
			return err
		}
		a.undo.push("mark representor port", func() error {
			return a.ovs.SetExternalIDs(a.ctx, port.IfaceUUID, a.port, a.att.PortExternalIDs)
		})
	}
	if rep.MTU != podIf.MTU || !rep.Up {
		if err := a.step("representor MTU and up", func() error {
			return link.Restore(a.port, link.State{MTU: podIf.MTU, Up: true})
		}); err != nil {
			return err
		}
		a.undo.push("representor MTU and up", func() error { return link.Restore(a.port, rep) })
	}
	return a.saveState(state.PhaseAdded)
}
