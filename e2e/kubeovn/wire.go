package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"

	"github.com/containernetworking/cni/pkg/types"
	current "github.com/containernetworking/cni/pkg/types/100"
	"github.com/containernetworking/plugins/pkg/ns"
	"github.com/k8snetworkplumbingwg/sriovnet"
	"github.com/vishvananda/netlink"

	"github.com/vf-offload/vf-offload/pkg/kubeovn"
)

// addVeth is Kube-OVN's default wiring: a veth pair, container end in the pod.
func (r *request) addVeth() error {
	host := kubeovn.PortName(r.args.ContainerID, r.args.IfName)
	cont := kubeovn.PodVethName(r.args.ContainerID, r.args.IfName)
	if old, err := netlink.LinkByName(host); err == nil {
		_ = netlink.LinkDel(old)
	}
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: host, MTU: r.conf.MTU}, PeerName: cont}
	if err := netlink.LinkAdd(veth); err != nil {
		return fmt.Errorf("create veth %s/%s: %w", host, cont, err)
	}
	if err := r.moveIntoPod(cont); err != nil {
		_ = netlink.LinkDel(veth)
		return err
	}
	if err := r.attachHost(host); err != nil {
		_ = netlink.LinkDel(veth)
		return err
	}
	return nil
}

// addOffload is Kube-OVN's own VF wiring (offload-port): VF into the pod,
// representor renamed to the host port name and added to the bridge.
func (r *request) addOffload() error {
	vfs, err := sriovnet.GetNetDevicesFromPci(r.device)
	if err != nil || len(vfs) == 0 {
		return fmt.Errorf("VF netdev of %s: %v %w", r.device, vfs, err)
	}
	uplink, err := sriovnet.GetUplinkRepresentor(r.device)
	if err != nil {
		return fmt.Errorf("uplink of %s: %w", r.device, err)
	}
	idx, err := sriovnet.GetVfIndexByPciAddress(r.device)
	if err != nil {
		return fmt.Errorf("VF index of %s: %w", r.device, err)
	}
	rep, err := sriovnet.GetVfRepresentor(uplink, idx)
	if err != nil {
		return fmt.Errorf("representor of VF %d on %s: %w", idx, uplink, err)
	}
	host := kubeovn.PortName(r.args.ContainerID, r.args.IfName)
	repLink, err := netlink.LinkByName(rep)
	if err != nil {
		return fmt.Errorf("representor %s: %w", rep, err)
	}
	if err := netlink.LinkSetDown(repLink); err != nil {
		return fmt.Errorf("set representor %s down: %w", rep, err)
	}
	if err := netlink.LinkSetName(repLink, host); err != nil {
		return fmt.Errorf("rename representor %s to %s: %w", rep, host, err)
	}
	if err := r.attachHost(host); err != nil {
		return err
	}
	vf, err := netlink.LinkByName(vfs[0])
	if err != nil {
		return fmt.Errorf("VF %s: %w", vfs[0], err)
	}
	if err := netlink.LinkSetAlias(vf, vfs[0]); err != nil {
		return fmt.Errorf("store VF name %s in ifalias: %w", vfs[0], err)
	}
	if err := netlink.LinkSetDown(vf); err != nil {
		return fmt.Errorf("set VF %s down: %w", vfs[0], err)
	}
	return r.moveIntoPod(vfs[0])
}

// moveIntoPod moves link name into the pod netns and configures it there.
func (r *request) moveIntoPod(name string) error {
	link, err := netlink.LinkByName(name)
	if err != nil {
		return fmt.Errorf("find %s: %w", name, err)
	}
	podNS, err := ns.GetNS(r.args.Netns)
	if err != nil {
		return fmt.Errorf("open pod netns %s: %w", r.args.Netns, err)
	}
	defer podNS.Close()
	if err := netlink.LinkSetNsFd(link, int(podNS.Fd())); err != nil {
		return fmt.Errorf("move %s into %s: %w", name, r.args.Netns, err)
	}
	return podNS.Do(func(ns.NetNS) error { return r.configurePod(name) })
}

func (r *request) configurePod(name string) error {
	ifname := r.args.IfName
	link, err := netlink.LinkByName(name)
	if err != nil {
		return fmt.Errorf("find %s in pod: %w", name, err)
	}
	steps := []struct {
		what string
		do   func() error
	}{
		{"rename to " + ifname, func() error { return netlink.LinkSetName(link, ifname) }},
		{"set MAC " + r.mac.String(), func() error { return netlink.LinkSetHardwareAddr(link, r.mac) }},
		{fmt.Sprint("set MTU ", r.conf.MTU), func() error { return netlink.LinkSetMTU(link, r.conf.MTU) }},
		{"add address " + r.ip.String(), func() error { return netlink.AddrAdd(link, &netlink.Addr{IPNet: r.ip}) }},
		{"set up", func() error { return netlink.LinkSetUp(link) }},
		{"add default route via " + r.gw.String(), func() error {
			if ifname != "eth0" { // the pod's default route goes through its primary interface only
				return nil
			}
			return netlink.RouteAdd(&netlink.Route{LinkIndex: link.Attrs().Index, Gw: r.gw})
		}},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			return fmt.Errorf("pod interface %s: %s: %w", name, s.what, err)
		}
	}
	return nil
}

// attachHost adds the host-side link to the bridge the way Kube-OVN does.
func (r *request) attachHost(host string) error {
	id := r.ifaceID()
	out, err := r.vsctl("--format=csv", "--data=bare", "--no-headings", "--columns=name",
		"find", "interface", "external_ids:iface-id="+id)
	if err != nil {
		return err
	}
	for _, other := range strings.Fields(out) {
		if other != host {
			if _, err := r.vsctl("remove", "interface", other, "external_ids", "iface-id"); err != nil {
				return err
			}
		}
	}
	if _, err := r.vsctl("--may-exist", "add-port", r.conf.Bridge, host, "--",
		"set", "interface", host,
		"external_ids:iface-id="+id, "external_ids:vendor=kube-ovn",
		"external_ids:pod_name="+r.pod, "external_ids:pod_namespace="+r.ns,
		"external_ids:pod_netns="+r.args.Netns, "external_ids:ip="+r.ip.IP.String()); err != nil {
		return err
	}
	link, err := netlink.LinkByName(host)
	if err != nil {
		return fmt.Errorf("host port %s: %w", host, err)
	}
	if err := netlink.LinkSetMTU(link, r.conf.MTU); err != nil {
		return fmt.Errorf("set MTU of %s: %w", host, err)
	}
	if err := netlink.LinkSetUp(link); err != nil {
		return fmt.Errorf("set %s up: %w", host, err)
	}
	return nil
}

// del removes the port and, in veth mode, the veth. Everything may already
// be gone. A VF left in the pod stays there, as with real Kube-OVN.
func (r *request) del() error {
	host := kubeovn.PortName(r.args.ContainerID, r.args.IfName)
	link, lerr := netlink.LinkByName(host)
	if lerr == nil && r.offload() {
		_ = netlink.LinkSetDown(link)
	}
	if _, err := r.vsctl("--if-exists", "del-port", r.conf.Bridge, host); err != nil {
		return err
	}
	if lerr == nil && !r.offload() {
		if err := netlink.LinkDel(link); err != nil && !errors.Is(err, os.ErrNotExist) {
			if _, gone := netlink.LinkByName(host); gone == nil {
				return fmt.Errorf("delete veth %s: %w", host, err)
			}
		}
	}
	return nil
}

func (r *request) vsctl(args ...string) (string, error) {
	full := []string{"--timeout=15"}
	if r.conf.OVSDB != "" {
		full = append(full, "--db="+r.conf.OVSDB)
	}
	full = append(full, args...)
	out, err := exec.Command("ovs-vsctl", full...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("ovs-vsctl %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// result builds Kube-OVN's CNI result (as 1.1.0) with routes read back from the pod.
func (r *request) result() (*current.Result, error) {
	zero := 0
	res := &current.Result{CNIVersion: "1.1.0",
		Interfaces: []*current.Interface{{Name: r.args.IfName, Mac: r.mac.String(), Mtu: r.conf.MTU, Sandbox: r.args.Netns}},
		IPs:        []*current.IPConfig{{Address: *r.ip, Gateway: r.gw, Interface: &zero}},
	}
	err := ns.WithNetNSPath(r.args.Netns, func(ns.NetNS) error {
		link, err := netlink.LinkByName(r.args.IfName)
		if err != nil {
			return err
		}
		routes, err := netlink.RouteList(link, netlink.FAMILY_V4)
		if err != nil {
			return err
		}
		for _, rt := range routes {
			dst := rt.Dst
			if dst == nil {
				dst = &net.IPNet{IP: net.IPv4zero, Mask: net.CIDRMask(0, 32)}
			}
			res.Routes = append(res.Routes, &types.Route{Dst: *dst, GW: rt.Gw})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read routes of %s in %s: %w", r.args.IfName, r.args.Netns, err)
	}
	return res, nil
}
