// Package link does vf-offload's netlink work: reading an interface with its
// addresses and routes, moving a device between network namespaces and
// renaming it there in one request, configuring it, and announcing its
// addresses. Every function
// acts in the calling thread's network namespace unless it takes an ns.NetNS;
// callers run it inside ns.Do closures.
package link

import (
	"errors"
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// State is what vf-offload records about a link to restore it later.
type State struct {
	Name  string `json:"name"`
	Index int    `json:"index"`
	MAC   string `json:"mac"`
	MTU   int    `json:"mtu"`
	Up    bool   `json:"up"`
	Alias string `json:"alias,omitempty"`
	Type  string `json:"type"`
}

// StateOf reads the State of a link.
func StateOf(l netlink.Link) State {
	a := l.Attrs()
	return State{Name: a.Name, Index: a.Index, MAC: a.HardwareAddr.String(), MTU: a.MTU,
		Up: a.Flags&net.FlagUp != 0, Alias: a.Alias, Type: l.Type()}
}

// Get returns the link named name and its State.
func Get(name string) (netlink.Link, State, error) {
	l, err := netlink.LinkByName(name)
	if err != nil {
		return nil, State{}, fmt.Errorf("find link %s: %w", name, err)
	}
	return l, StateOf(l), nil
}

// IsNotFound reports whether err says a link does not exist.
func IsNotFound(err error) bool {
	var nf netlink.LinkNotFoundError
	return errors.As(err, &nf) || errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENOENT)
}

// Exists reports whether a link named name exists here.
func Exists(name string) bool {
	_, err := netlink.LinkByName(name)
	return err == nil
}

// Rename sets link name from to to; it is a no-op when they are equal.
func Rename(from, to string) error {
	if from == to {
		return nil
	}
	l, err := netlink.LinkByName(from)
	if err != nil {
		return fmt.Errorf("rename %s to %s: %w", from, to, err)
	}
	if err := netlink.LinkSetName(l, to); err != nil {
		return fmt.Errorf("rename %s to %s: %w", from, to, err)
	}
	return nil
}

// RenameLive renames link from to to without taking it down first, as
// kernels since 6.2 allow: every change of a link in ovs-vswitchd's netns
// makes it reconfigure its bridges, so a down that is not needed costs the
// node a reconfiguration. An older kernel refuses a link that is up with
// EBUSY; then the link goes down and is renamed.
func RenameLive(from, to string) error {
	err := Rename(from, to)
	if !errors.Is(err, unix.EBUSY) {
		return err
	}
	if err := SetUp(from, false); err != nil {
		return err
	}
	if err := Rename(from, to); err != nil {
		return errors.Join(err, SetUp(from, true))
	}
	return nil
}

// SetUp brings link name up or down.
func SetUp(name string, up bool) error {
	l, err := netlink.LinkByName(name)
	if err != nil {
		return fmt.Errorf("set %s up=%v: %w", name, up, err)
	}
	return setUp(l, up)
}

func setUp(l netlink.Link, up bool) error {
	if (l.Attrs().Flags&net.FlagUp != 0) == up { // no request for a link that already is so
		return nil
	}
	var err error
	if up {
		err = netlink.LinkSetUp(l)
	} else {
		err = netlink.LinkSetDown(l)
	}
	if err != nil {
		return fmt.Errorf("set %s up=%v: %w", l.Attrs().Name, up, err)
	}
	return nil
}

// Restore gives link name the MAC, MTU, alias and up/down flag of s.
func Restore(name string, s State) error {
	l, err := restoreAttrs(name, s)
	if err != nil {
		return err
	}
	return setUp(l, s.Up)
}

// SetAttrs gives link name the MAC, MTU and alias of s, and leaves its
// up/down flag as it is.
func SetAttrs(name string, s State) error {
	_, err := restoreAttrs(name, s)
	return err
}

func restoreAttrs(name string, s State) (netlink.Link, error) {
	l, err := netlink.LinkByName(name)
	if err != nil {
		return nil, fmt.Errorf("restore %s: %w", name, err)
	}
	if err := setMACMTU(l, s.MAC, s.MTU); err != nil {
		return nil, err
	}
	if l.Attrs().Alias != s.Alias {
		if err := netlink.LinkSetAlias(l, s.Alias); err != nil {
			return nil, fmt.Errorf("restore alias of %s: %w", name, err)
		}
	}
	return l, nil
}

// SetMTU sets the MTU of link name; it is a no-op when it already has it.
func SetMTU(name string, mtu int) error {
	l, err := netlink.LinkByName(name)
	if err != nil {
		return fmt.Errorf("set MTU of %s: %w", name, err)
	}
	return setMACMTU(l, "", mtu)
}

func setMACMTU(l netlink.Link, mac string, mtu int) error {
	name := l.Attrs().Name
	if mac != "" && l.Attrs().HardwareAddr.String() != mac {
		hw, err := net.ParseMAC(mac)
		if err != nil {
			return fmt.Errorf("MAC %q for %s: %w", mac, name, err)
		}
		if err := netlink.LinkSetHardwareAddr(l, hw); err != nil {
			return fmt.Errorf("set MAC %s on %s: %w", mac, name, err)
		}
	}
	if mtu > 0 && l.Attrs().MTU != mtu {
		if err := netlink.LinkSetMTU(l, mtu); err != nil {
			return fmt.Errorf("set MTU %d on %s: %w", mtu, name, err)
		}
	}
	return nil
}
