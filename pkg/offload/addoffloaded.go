package offload

import (
	"errors"
	"fmt"
	"maps"

	"github.com/vf-offload/vf-offload/pkg/config"
	"github.com/vf-offload/vf-offload/pkg/link"
	"github.com/vf-offload/vf-offload/pkg/ovsdb"
	"github.com/vf-offload/vf-offload/pkg/state"
)

// wired is what Kube-OVN's own VF wiring left: the VF in the pod as
// CNI_IFNAME and its representor under the port name.
type wired struct {
	pod, rep link.State
}

// readWired reads both links of the already-offloaded state. It needs no
// OVSDB: ADD calls it while the session is still opening.
func (a *adding) readWired() (*wired, error) {
	var w wired
	if err := a.inPod(func() (err error) { _, w.pod, err = link.Get(a.args.IfName); return }); err != nil {
		return nil, fmt.Errorf("read pod interface %s (the VF Kube-OVN wired): %w", a.args.IfName, err)
	}
	_, rep, err := link.Get(a.port)
	if err != nil {
		return nil, err
	}
	w.rep = rep
	return &w, nil
}

// recordOffloaded records the already-offloaded state before ADD changes
// anything: the state file (phase adding; Kube-OVN's external_ids follow
// with phase added) and the representor in the device-info file. Neither
// needs OVSDB, so ADD does both while the session opens.
func (a *adding) recordOffloaded(w *wired) error {
	podIf, rep := w.pod, w.rep
	a.att.KubeOVNState = state.KubeOVNOffloaded
	// Kube-OVN keeps the VF's host name in its ifalias. The representor's
	// original name is lost; DEL works out the node's name for it when it
	// gives it back (releasing.homeName), which keeps those sysfs reads
	// off the pod's start.
	a.att.VF.Name = podIf.Alias
	if config.ValidateIfName(podIf.Alias) != nil {
		a.att.VF.Name = ""
	}
	a.att.VF.MAC, a.att.VF.MTU, a.att.VF.Index = podIf.MAC, podIf.MTU, podIf.Index
	a.repMAC, a.mtu = rep.MAC, podIf.MTU
	a.att.Rep.MTU = rep.MTU
	if err := a.saveState(state.PhaseAdding); err != nil {
		return err
	}
	a.recordDeviceInfo()
	return faultPoint("ADD (adopt): state recorded")
}

// addOffloaded keeps the wiring Kube-OVN made itself (VF in the pod, its
// representor renamed to the port name and on the bridge) and corrects what
// is off: missing markers, representor down or with the wrong MTU. It never
// adds a second port.
func (a *adding) addOffloaded(w *wired) error {
	notOnBridge := fmt.Errorf("representor %s of VF %s is not a port of bridge %s", a.port, a.pci, a.conf.Bridge)
	port, err := a.ovs.Port(a.port)
	if err != nil {
		return err
	}
	if port == nil {
		return notOnBridge
	}
	podIf, rep := w.pod, w.rep
	a.att.PortExternalIDs = maps.Clone(port.ExternalIDs)
	if port.ExternalIDs[markContainer] != a.args.ContainerID {
		ids := markedIDs(port.ExternalIDs, a.pci, a.args.ContainerID)
		// The transaction also checks that the bridge holds the port.
		if err := a.step("mark representor port", func() error {
			err := a.ovs.SetExternalIDsOnBridge(a.ctx, port, ids)
			if errors.Is(err, ovsdb.ErrNotOnBridge) {
				return notOnBridge
			}
			return err
		}); err != nil {
			return err
		}
		a.undo.push("mark representor port", func() error {
			return a.ovs.SetExternalIDs(a.ctx, port.IfaceUUID, a.port, a.att.PortExternalIDs)
		})
	} else if on, err := a.ovs.OnBridge(a.ctx, port); err != nil {
		return err
	} else if !on {
		return notOnBridge
	}
	if err := faultPoint("ADD (adopt): mark representor port"); err != nil {
		return err
	}
	if rep.MTU != podIf.MTU || !rep.Up {
		if err := a.step("representor MTU and up", func() error {
			return link.Restore(a.port, link.State{MTU: podIf.MTU, Up: true})
		}); err != nil {
			return err
		}
		a.undo.push("representor MTU and up", func() error { return link.Restore(a.port, rep) })
	}
	if err := faultPoint("ADD (adopt): representor MTU and up"); err != nil {
		return err
	}
	return a.saveState(state.PhaseAdded)
}
