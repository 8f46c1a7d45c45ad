package offload

import (
	"context"

	"github.com/containernetworking/cni/pkg/skel"

	"github.com/vf-offload/vf-offload/pkg/config"
	"github.com/vf-offload/vf-offload/pkg/kubeovn"
	"github.com/vf-offload/vf-offload/pkg/ovsdb"
	"github.com/vf-offload/vf-offload/pkg/state"
)

// GC is the CNI GC verb: every attachment in the state directory that is not
// in cni.dev/valid-attachments is released exactly as DEL would; bridge ports
// that carry vf-offload's marker but have neither state nor a valid
// attachment are released too. Nothing vf-offload does not own is touched.
func (p *Plugin) GC(args *skel.CmdArgs) error {
	c, err := p.newConfCall(args)
	if err != nil {
		return err
	}
	defer c.close()
	valid := map[string]bool{}
	validCID := map[string]bool{}
	for _, a := range c.conf.GCValid() {
		valid[a.ContainerID+"/"+a.IfName] = true
		validCID[a.ContainerID] = true
	}
	atts, err := c.store.List()
	if err != nil {
		c.log.Warn("some state files could not be read", "err", err)
	}
	held := map[string]bool{}
	var errs []error
	for _, a := range atts {
		held[a.PCI] = true
		if valid[a.ContainerID+"/"+a.IfName] {
			continue
		}
		errs = append(errs, c.gcOne(a))
	}
	orphans, err := c.orphanPorts(validCID, held)
	if err != nil {
		return err
	}
	for _, a := range orphans {
		errs = append(errs, c.gcOne(a))
	}
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func (c *call) gcOne(a *state.Attachment) error {
	log := c.log.With("container", a.ContainerID, "ifname", a.IfName, "device", a.PCI, "port", a.Port)
	unlock, err := c.lock(a.PCI)
	if err != nil {
		return err
	}
	defer unlock()
	if a.Phase != state.PhaseNone { // re-read under the lock: a DEL may have run meanwhile
		if a, err = c.store.Load(a.PCI); err != nil || a == nil {
			return err
		}
	}
	if err := c.release(a, a.PCI); err != nil {
		log.Error("GC could not release attachment", "err", err)
		return err
	}
	log.Info("GC released attachment")
	return nil
}

// orphanPorts finds bridge ports marked as vf-offload's whose container is
// not valid and whose VF has no state, and describes each as a stateless
// attachment built from its external_ids.
func (c *call) orphanPorts(validCID, held map[string]bool) ([]*state.Attachment, error) {
	ovs, err := ovsdb.DialMarked(context.Background(), c.conf.OVSDB, ovsdbTimeout, c.log, c.conf.Bridge, markOwner, "true")
	if err != nil {
		return nil, err
	}
	defer ovs.Close()
	marked, err := ovs.Marked()
	if err != nil {
		return nil, err
	}
	var out []*state.Attachment
	for name, ids := range marked {
		cid, pci := ids[markContainer], ids[markPCI]
		if validCID[cid] || held[pci] || config.ValidateContainerID(cid) != nil {
			continue
		}
		if pci, err = config.NormalizePCI(pci); err != nil {
			continue
		}
		out = append(out, &state.Attachment{ContainerID: cid, PCI: pci, Port: name, Bridge: c.conf.Bridge,
			Netns: ids["pod_netns"], IfName: kubeovn.IfnameFromPort(cid, name)})
	}
	return out, nil
}
