package link

import (
	"fmt"

	"github.com/containernetworking/plugins/pkg/ns"
	"github.com/vishvananda/netlink"
)

// Move takes link name from src to dst through a fresh temporary network
// namespace, where it is renamed newName, so that neither a name clash in
// dst nor a half-done move can leave it misnamed. The link is set down first.
// On failure the link is brought back to src under its old name.
func Move(src ns.NetNS, name string, dst ns.NetNS, newName string) error {
	tmp, err := ns.TempNetNS()
	if err != nil {
		return fmt.Errorf("move %s: temporary netns: %w", name, err)
	}
	defer tmp.Close()
	err = src.Do(func(ns.NetNS) error {
		l, err := netlink.LinkByName(name)
		if err != nil {
			return err
		}
		if err := netlink.LinkSetDown(l); err != nil {
			return err
		}
		return netlink.LinkSetNsFd(l, int(tmp.Fd()))
	})
	if err != nil {
		return fmt.Errorf("move %s out of %s: %w", name, src.Path(), err)
	}
	err = tmp.Do(func(ns.NetNS) error {
		if err := Rename(name, newName); err != nil {
			return err
		}
		l, err := netlink.LinkByName(newName)
		if err != nil {
			return err
		}
		return netlink.LinkSetNsFd(l, int(dst.Fd()))
	})
	if err == nil {
		return nil
	}
	back := tmp.Do(func(ns.NetNS) error {
		cur := newName
		if Exists(name) {
			cur = name
		}
		if err := Rename(cur, name); err != nil {
			return err
		}
		l, err := netlink.LinkByName(name)
		if err != nil {
			return err
		}
		return netlink.LinkSetNsFd(l, int(src.Fd()))
	})
	if back != nil {
		return fmt.Errorf("move %s to %s as %s: %w (and bringing it back failed: %v)", name, dst.Path(), newName, err, back)
	}
	return fmt.Errorf("move %s to %s as %s: %w", name, dst.Path(), newName, err)
}
