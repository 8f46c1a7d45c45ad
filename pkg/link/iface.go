package link

import (
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Iface is a pod interface with what must carry over to its replacement.
type Iface struct {
	State
	Addrs  []*net.IPNet    // global addresses, with prefix
	Routes []netlink.Route // routes through it that the kernel did not make
}

// ReadIface reads link name with its global addresses and the routes of the
// main table that go through it (kernel-made connected routes excluded: they
// come back with the addresses).
func ReadIface(name string) (*Iface, error) {
	l, s, err := Get(name)
	if err != nil {
		return nil, err
	}
	it := &Iface{State: s}
	addrs, err := netlink.AddrList(l, netlink.FAMILY_ALL)
	if err != nil {
		return nil, fmt.Errorf("list addresses of %s: %w", name, err)
	}
	for _, a := range addrs {
		if a.IP.IsLinkLocalUnicast() {
			continue
		}
		it.Addrs = append(it.Addrs, a.IPNet)
	}
	routes, err := netlink.RouteList(l, netlink.FAMILY_ALL)
	if err != nil {
		return nil, fmt.Errorf("list routes of %s: %w", name, err)
	}
	for _, r := range routes {
		if r.Protocol == unix.RTPROT_KERNEL || (r.Dst != nil && r.Dst.IP.IsLinkLocalUnicast()) {
			continue
		}
		if r.Table != 0 && r.Table != unix.RT_TABLE_MAIN {
			continue
		}
		it.Routes = append(it.Routes, r)
	}
	return it, nil
}

// Configure gives link name the MAC, MTU, addresses and routes of want,
// brings it up, and adds the routes (which need the link up).
func Configure(name string, want *Iface) error {
	l, err := netlink.LinkByName(name)
	if err != nil {
		return fmt.Errorf("configure %s: %w", name, err)
	}
	if err := setMACMTU(l, want.MAC, want.MTU); err != nil {
		return err
	}
	for _, a := range want.Addrs {
		addr := &netlink.Addr{IPNet: a}
		if a.IP.To4() == nil {
			addr.Flags = unix.IFA_F_NODAD
		}
		if err := netlink.AddrReplace(l, addr); err != nil {
			return fmt.Errorf("add address %s to %s: %w", a, name, err)
		}
	}
	if err := netlink.LinkSetUp(l); err != nil {
		return fmt.Errorf("set %s up: %w", name, err)
	}
	return AddRoutes(name, want.Routes)
}

// AddRoutes adds routes through link name, replacing any equal route.
func AddRoutes(name string, routes []netlink.Route) error {
	l, err := netlink.LinkByName(name)
	if err != nil {
		return fmt.Errorf("add routes to %s: %w", name, err)
	}
	for _, r := range routes {
		r.LinkIndex = l.Attrs().Index
		r.ILinkIndex = 0
		if err := netlink.RouteReplace(&r); err != nil {
			return fmt.Errorf("add route %s to %s: %w", r.String(), name, err)
		}
	}
	return nil
}

// Strip sets link name down and removes its global addresses, so it can go
// home without carrying the pod's addresses.
func Strip(name string) error {
	l, err := netlink.LinkByName(name)
	if err != nil {
		return fmt.Errorf("strip %s: %w", name, err)
	}
	if err := netlink.LinkSetDown(l); err != nil {
		return fmt.Errorf("set %s down: %w", name, err)
	}
	addrs, err := netlink.AddrList(l, netlink.FAMILY_ALL)
	if err != nil {
		return fmt.Errorf("list addresses of %s: %w", name, err)
	}
	for _, a := range addrs {
		if a.IP.IsLinkLocalUnicast() {
			continue
		}
		if err := netlink.AddrDel(l, &a); err != nil {
			return fmt.Errorf("remove address %s from %s: %w", a.IPNet, name, err)
		}
	}
	return nil
}

// Delete removes link name; a missing link is success.
func Delete(name string) error {
	l, err := netlink.LinkByName(name)
	if err != nil {
		if IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("delete %s: %w", name, err)
	}
	if err := netlink.LinkDel(l); err != nil && !IsNotFound(err) {
		return fmt.Errorf("delete %s: %w", name, err)
	}
	return nil
}
