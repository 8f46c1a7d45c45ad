package offload

import (
	"context"
	"fmt"
	"net"
	"slices"

	"github.com/containernetworking/cni/pkg/skel"
	current "github.com/containernetworking/cni/pkg/types/100"
	"github.com/containernetworking/plugins/pkg/ns"
	"github.com/vishvananda/netlink"

	"github.com/vf-offload/vf-offload/pkg/link"
	"github.com/vf-offload/vf-offload/pkg/ovsdb"
	"github.com/vf-offload/vf-offload/pkg/sriov"
	"github.com/vf-offload/vf-offload/pkg/state"
)

// Check is the CNI CHECK verb: the VF must be the pod's interface, up, with
// prevResult's MAC and addresses, and its representor an open, up port of
// the bridge with the iface-id it had at ADD.
func (p *Plugin) Check(args *skel.CmdArgs) error {
	c, prev, pci, err := p.newChainedCall(args)
	if err != nil {
		return err
	}
	defer c.close()
	if pci == "" {
		if pci, err = c.findAttachment(); err != nil || pci == "" {
			return err
		}
	}
	att, err := c.store.Load(pci)
	if err != nil {
		return fmt.Errorf("read state of VF %s: %w", pci, err)
	}
	if att == nil || att.ContainerID != args.ContainerID || att.IfName != args.IfName || att.Phase != state.PhaseAdded {
		return fmt.Errorf("VF %s is not attached to this container", pci)
	}
	podIf, err := podInterface(prev, args.IfName)
	if err != nil {
		return err
	}
	if err := checkPod(args.Netns, args.IfName, prev, podIf); err != nil {
		return err
	}
	return c.checkRep(att)
}

func checkPod(netns, ifname string, prev *current.Result, podIf int) error {
	return ns.WithNetNSPath(netns, func(ns.NetNS) error {
		l, st, err := link.Get(ifname)
		if err != nil {
			return err
		}
		if !st.Up {
			return fmt.Errorf("VF %s in the pod is down", ifname)
		}
		if want := prev.Interfaces[podIf].Mac; want != "" && want != st.MAC {
			return fmt.Errorf("VF %s in the pod has MAC %s, prevResult says %s", ifname, st.MAC, want)
		}
		addrs, err := netlink.AddrList(l, netlink.FAMILY_ALL)
		if err != nil {
			return fmt.Errorf("list addresses of %s: %w", ifname, err)
		}
		for _, ip := range prev.IPs {
			if ip.Interface != nil && *ip.Interface != podIf {
				continue
			}
			if !slices.ContainsFunc(addrs, func(a netlink.Addr) bool { return sameNet(a.IPNet, &ip.Address) }) {
				return fmt.Errorf("VF %s in the pod lacks address %s", ifname, ip.Address.String())
			}
		}
		return nil
	})
}

func sameNet(a, b *net.IPNet) bool {
	return a != nil && b != nil && a.IP.Equal(b.IP) && a.Mask.String() == b.Mask.String()
}

func (c *call) checkRep(att *state.Attachment) error {
	dev, err := sriov.Lookup(att.PCI, att.Port)
	if err != nil {
		return err
	}
	if dev.Rep != att.Port {
		return fmt.Errorf("representor of VF %s is %s, not %s", att.PCI, dev.Rep, att.Port)
	}
	if _, st, err := link.Get(att.Port); err != nil || !st.Up {
		return fmt.Errorf("representor %s is missing or down (%v)", att.Port, err)
	}
	ovs, err := ovsdb.Dial(context.Background(), c.conf.OVSDB, ovsdbTimeout, c.log, att.Bridge, att.Port)
	if err != nil {
		return err
	}
	defer ovs.Close()
	p, err := ovs.Port(att.Port)
	if err != nil {
		return err
	}
	on, err := ovs.OnBridge(context.Background(), p)
	if err != nil {
		return err
	}
	switch {
	case !on:
		return fmt.Errorf("representor %s is not a port of bridge %s", att.Port, att.Bridge)
	case p.Ofport <= 0:
		return fmt.Errorf("representor port %s is not open (ofport %d, error %q)", att.Port, p.Ofport, p.Error)
	case p.ExternalIDs["iface-id"] != att.PortExternalIDs["iface-id"]:
		return fmt.Errorf("representor port %s has iface-id %q, ADD saw %q", att.Port, p.ExternalIDs["iface-id"], att.PortExternalIDs["iface-id"])
	}
	if why := offloadMissing(ovs); why != "" {
		if c.conf.RequireOffload {
			return fmt.Errorf("the node cannot offload %s: %s", att.Port, why)
		}
		c.log.Warn("the node is not set up to offload; traffic runs through the CPU", "reason", why)
	}
	return nil
}
