package tcfilter

import (
	"errors"
	"fmt"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"

	"github.com/vf-offload/vf-offload/pkg/hwoffload"
)

// Ingress returns the filters on the ingress of the device named ifname
// (parent ffff:fff2, where both the ingress and the clsact qdisc attach
// their ingress filters), in the order the kernel dumps them. A device
// without an ingress qdisc has none.
func Ingress(ifname string) ([]hwoffload.TCFilter, error) {
	link, err := netlink.LinkByName(ifname)
	if err != nil {
		return nil, fmt.Errorf("tc filters of %s: %w", ifname, err)
	}
	req := nl.NewNetlinkRequest(unix.RTM_GETTFILTER, unix.NLM_F_DUMP)
	req.AddData(&nl.TcMsg{Family: nl.FAMILY_ALL, Ifindex: int32(link.Attrs().Index), Parent: netlink.HANDLE_MIN_INGRESS})
	msgs, err := req.Execute(unix.NETLINK_ROUTE, unix.RTM_NEWTFILTER)
	if err != nil && !errors.Is(err, nl.ErrDumpInterrupted) {
		return nil, fmt.Errorf("dump tc filters of %s: %w", ifname, err)
	}
	var out []hwoffload.TCFilter
	for _, m := range msgs {
		f, ok, err := Decode(m, linkName)
		if err != nil {
			return nil, fmt.Errorf("tc filter of %s: %w", ifname, err)
		}
		if ok {
			out = append(out, f)
		}
	}
	return out, nil
}

// linkName names the device with index i, "if<i>" if it is gone.
func linkName(i uint32) string {
	l, err := netlink.LinkByIndex(int(i))
	if err != nil {
		return fmt.Sprintf("if%d", i)
	}
	return l.Attrs().Name
}
