package tcfilter

import (
	"encoding/binary"
	"fmt"
	"net"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"

	"github.com/vf-offload/vf-offload/pkg/hwoffload"
)

// Flag bits of the classifiers' flags attributes (linux/pkt_cls.h).
const (
	flagSkipHW  = 1 << 0
	flagSkipSW  = 1 << 1
	flagInHW    = 1 << 2
	flagNotInHW = 1 << 3
)

// tcaU32Flags is TCA_U32_FLAGS, which package nl does not name.
const tcaU32Flags = nl.TCA_U32_MARK + 1

// kindAttrs says where a classifier keeps its flags and its actions inside
// TCA_OPTIONS; skip is an attribute whose presence marks an entry that is
// not a filter (u32's hash tables).
type kindAttrs struct{ flags, acts, skip int }

func kindOf(kind string) (kindAttrs, bool) {
	switch kind {
	case "flower":
		return kindAttrs{nl.TCA_FLOWER_FLAGS, nl.TCA_FLOWER_ACT, -1}, true
	case "u32":
		return kindAttrs{tcaU32Flags, nl.TCA_U32_ACT, nl.TCA_U32_DIVISOR}, true
	case "matchall":
		return kindAttrs{nl.TCA_MATCHALL_FLAGS, nl.TCA_MATCHALL_ACT, -1}, true
	case "bpf":
		return kindAttrs{nl.TCA_BPF_FLAGS_GEN, nl.TCA_BPF_ACT, -1}, true
	}
	return kindAttrs{}, false
}

// Decode turns one RTM_NEWTFILTER message (struct tcmsg and its attributes,
// without the netlink header) into a TCFilter. ok is false for the entries
// tc prints without a handle (one per priority) and for u32 hash tables.
// ifname names a device by index, for mirred actions.
func Decode(msg []byte, ifname func(uint32) string) (f hwoffload.TCFilter, ok bool, err error) {
	if len(msg) < nl.SizeofTcMsg {
		return f, false, fmt.Errorf("tcmsg of %d bytes, want %d", len(msg), nl.SizeofTcMsg)
	}
	ne := nl.NativeEndian()
	handle, info := ne.Uint32(msg[8:12]), ne.Uint32(msg[16:20])
	f.Pref = info >> 16
	f.Protocol = protocolName(uint16(info&0xff)<<8 | uint16(info&0xff00)>>8)
	attrs, err := nl.ParseRouteAttr(msg[nl.SizeofTcMsg:])
	if err != nil {
		return f, false, fmt.Errorf("tc filter attributes: %w", err)
	}
	var opts []byte
	for _, a := range attrs {
		switch a.Attr.Type & nl.NLA_TYPE_MASK {
		case nl.TCA_KIND:
			f.Kind = cString(a.Value)
		case nl.TCA_OPTIONS:
			opts = a.Value
		case nl.TCA_CHAIN:
			if len(a.Value) >= 4 {
				f.Chain = ne.Uint32(a.Value)
			}
		}
	}
	if handle == 0 {
		return f, false, nil
	}
	f.Handle = formatHandle(f.Kind, handle)
	k, known := kindOf(f.Kind)
	if !known || opts == nil {
		return f, true, nil
	}
	options, err := nl.ParseRouteAttr(opts)
	if err != nil {
		return f, false, fmt.Errorf("%s filter %s options: %w", f.Kind, f.Handle, err)
	}
	for _, a := range options {
		t := int(a.Attr.Type & nl.NLA_TYPE_MASK)
		switch {
		case t == k.skip:
			return f, false, nil
		case t == k.flags && len(a.Value) >= 4:
			setFlags(&f, ne.Uint32(a.Value))
		case t == k.acts:
			if f.Actions, err = actions(a.Value, ifname); err != nil {
				return f, false, fmt.Errorf("%s filter %s actions: %w", f.Kind, f.Handle, err)
			}
		case f.Kind == "flower" && t == nl.TCA_FLOWER_IN_HW_COUNT && len(a.Value) >= 4:
			f.InHWCount = ne.Uint32(a.Value)
		case f.Kind == "flower":
			if key := flowerKey(t, a.Value); key != "" {
				f.Keys = append(f.Keys, key)
			}
		}
	}
	return f, true, nil
}

func setFlags(f *hwoffload.TCFilter, v uint32) {
	f.SkipHW, f.SkipSW = v&flagSkipHW != 0, v&flagSkipSW != 0
	f.InHW, f.NotInHW = v&flagInHW != 0, v&flagNotInHW != 0
}

// actions decodes a TCA_*_ACT nest: one nested attribute per action, its
// type being the action's order.
func actions(b []byte, ifname func(uint32) string) ([]hwoffload.TCAction, error) {
	tab, err := nl.ParseRouteAttr(b)
	if err != nil {
		return nil, err
	}
	var out []hwoffload.TCAction
	for _, t := range tab {
		attrs, err := nl.ParseRouteAttr(t.Value)
		if err != nil {
			return nil, fmt.Errorf("action %d: %w", t.Attr.Type&nl.NLA_TYPE_MASK, err)
		}
		a := hwoffload.TCAction{Order: int(t.Attr.Type & nl.NLA_TYPE_MASK)}
		var opts []byte
		for _, at := range attrs {
			switch at.Attr.Type & nl.NLA_TYPE_MASK {
			case nl.TCA_ACT_KIND:
				a.Kind = cString(at.Value)
			case nl.TCA_ACT_OPTIONS:
				opts = at.Value
			case nl.TCA_ACT_STATS:
				if err := stats(&a, at.Value); err != nil {
					return nil, fmt.Errorf("action %d stats: %w", a.Order, err)
				}
			}
		}
		a.Text = a.Kind
		if a.Kind == "mirred" && opts != nil {
			mirred(&a, opts, ifname)
		}
		out = append(out, a)
	}
	return out, nil
}

// stats reads TCA_STATS_BASIC (all packets, software and hardware) and
// TCA_STATS_BASIC_HW (those counted by the NIC): struct gnet_stats_basic,
// a u64 byte count then a u32 packet count.
func stats(a *hwoffload.TCAction, b []byte) error {
	attrs, err := nl.ParseRouteAttr(b)
	if err != nil {
		return err
	}
	ne := nl.NativeEndian()
	for _, s := range attrs {
		if len(s.Value) < 12 {
			continue
		}
		bytes, pkts := ne.Uint64(s.Value[0:8]), uint64(ne.Uint32(s.Value[8:12]))
		switch s.Attr.Type & nl.NLA_TYPE_MASK {
		case nl.TCA_STATS_BASIC:
			a.Bytes, a.Packets = bytes, pkts
		case nl.TCA_STATS_BASIC_HW:
			a.HWBytes, a.HWPackets = bytes, pkts
		}
	}
	return nil
}

// mirred reads struct tc_mirred: tc_gen (five 32-bit fields), eaction,
// ifindex.
func mirred(a *hwoffload.TCAction, opts []byte, ifname func(uint32) string) {
	attrs, err := nl.ParseRouteAttr(opts)
	if err != nil {
		return
	}
	ne := nl.NativeEndian()
	for _, at := range attrs {
		if at.Attr.Type&nl.NLA_TYPE_MASK != nl.TCA_MIRRED_PARMS || len(at.Value) < 28 {
			continue
		}
		what := map[uint32]string{1: "Egress Redirect", 2: "Egress Mirror", 3: "Ingress Redirect", 4: "Ingress Mirror"}[ne.Uint32(at.Value[20:24])]
		if what == "" {
			what = "unknown"
		}
		a.Device = ifname(ne.Uint32(at.Value[24:28]))
		a.Text = fmt.Sprintf("mirred (%s to device %s)", what, a.Device)
	}
}

// flowerKey prints the flower match keys OVS uses most, the way tc does;
// "" for the others.
func flowerKey(t int, v []byte) string {
	switch {
	case t == nl.TCA_FLOWER_KEY_ETH_DST && len(v) == 6:
		return "dst_mac " + net.HardwareAddr(v).String()
	case t == nl.TCA_FLOWER_KEY_ETH_SRC && len(v) == 6:
		return "src_mac " + net.HardwareAddr(v).String()
	case t == nl.TCA_FLOWER_KEY_ETH_TYPE && len(v) == 2:
		return "eth_type " + ethType(binary.BigEndian.Uint16(v))
	case t == nl.TCA_FLOWER_KEY_IP_PROTO && len(v) == 1:
		if n, ok := map[byte]string{1: "icmp", 6: "tcp", 17: "udp", 58: "icmpv6", 132: "sctp"}[v[0]]; ok {
			return "ip_proto " + n
		}
		return fmt.Sprintf("ip_proto %d", v[0])
	case t == nl.TCA_FLOWER_KEY_IPV4_DST && len(v) == 4:
		return "dst_ip " + net.IP(v).String()
	case t == nl.TCA_FLOWER_KEY_IPV4_SRC && len(v) == 4:
		return "src_ip " + net.IP(v).String()
	}
	return ""
}

// ethType names a flower eth_type key as tc does ("ipv4", not "ip").
func ethType(p uint16) string {
	switch p {
	case unix.ETH_P_IP:
		return "ipv4"
	case unix.ETH_P_IPV6:
		return "ipv6"
	}
	return protocolName(p)
}

// protocolName names an ethertype (host order) as tc does.
func protocolName(p uint16) string {
	switch p {
	case unix.ETH_P_ALL:
		return "all"
	case unix.ETH_P_IP:
		return "ip"
	case unix.ETH_P_IPV6:
		return "ipv6"
	case unix.ETH_P_ARP:
		return "arp"
	case unix.ETH_P_8021Q:
		return "802.1Q"
	case unix.ETH_P_8021AD:
		return "802.1ad"
	}
	return fmt.Sprintf("0x%04x", p)
}

// formatHandle prints a filter handle as tc does: u32's as
// "htid:hash:node" in hex ("800::800"), the others as "0x1".
func formatHandle(kind string, h uint32) string {
	if kind != "u32" {
		return fmt.Sprintf("0x%x", h)
	}
	s := ""
	if htid := h >> 20; htid != 0 {
		s = fmt.Sprintf("%x", htid)
	}
	s += ":"
	if hash := (h >> 12) & 0xff; hash != 0 {
		s += fmt.Sprintf("%x", hash)
	}
	s += ":"
	if node := h & 0xfff; node != 0 {
		s += fmt.Sprintf("%x", node)
	}
	return s
}

func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
