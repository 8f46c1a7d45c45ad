package tcfilter

import (
	"reflect"
	"testing"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"

	"github.com/vf-offload/vf-offload/pkg/hwoffload"
)

// message builds an RTM_NEWTFILTER payload the way the kernel dumps one.
func message(handle uint32, pref, proto uint16, attrs ...*nl.RtAttr) []byte {
	m := &nl.TcMsg{Family: nl.FAMILY_ALL, Ifindex: 7, Handle: handle, Parent: 0xfffffff2,
		Info: uint32(pref)<<16 | uint32(nl.Swap16(proto))}
	b := append([]byte(nil), m.Serialize()...)
	for _, a := range attrs {
		b = append(b, a.Serialize()...)
	}
	return b
}

func u32(v uint32) []byte { return nl.Uint32Attr(v) }

func gnetBasic(bytes uint64, pkts uint32) []byte {
	b := make([]byte, 16)
	nl.NativeEndian().PutUint64(b, bytes)
	nl.NativeEndian().PutUint32(b[8:], pkts)
	return b
}

// mirredAction is one entry of a TCA_*_ACT nest: an egress redirect to
// ifindex with the given total and hardware counters.
func mirredAction(parent *nl.RtAttr, order int, ifindex uint32, bytes uint64, pkts uint32, hwBytes uint64, hwPkts uint32) {
	act := parent.AddRtAttr(order|unix.NLA_F_NESTED, nil)
	act.AddRtAttr(nl.TCA_ACT_KIND, nl.ZeroTerminated("mirred"))
	opts := act.AddRtAttr(nl.TCA_ACT_OPTIONS|unix.NLA_F_NESTED, nil)
	parms := &nl.TcMirred{Eaction: 1, Ifindex: ifindex}
	parms.Action = 4 // TC_ACT_STOLEN
	opts.AddRtAttr(nl.TCA_MIRRED_PARMS, parms.Serialize())
	st := act.AddRtAttr(nl.TCA_ACT_STATS|unix.NLA_F_NESTED, nil)
	st.AddRtAttr(nl.TCA_STATS_BASIC, gnetBasic(bytes, pkts))
	if hwPkts > 0 {
		st.AddRtAttr(nl.TCA_STATS_BASIC_HW, gnetBasic(hwBytes, hwPkts))
	}
}

func names(i uint32) string { return map[uint32]string{9: "54235e5753b8_h", 3: "vb"}[i] }

func TestDecodeFlowerInHW(t *testing.T) {
	opts := nl.NewRtAttr(nl.TCA_OPTIONS, nil)
	opts.AddRtAttr(nl.TCA_FLOWER_KEY_ETH_DST, []byte{0, 0, 0, 0xe7, 0x16, 0xce})
	opts.AddRtAttr(nl.TCA_FLOWER_KEY_ETH_SRC, []byte{0, 0, 0, 0xc5, 0x6d, 0x4e})
	opts.AddRtAttr(nl.TCA_FLOWER_KEY_ETH_TYPE, []byte{0x08, 0x00})
	opts.AddRtAttr(nl.TCA_FLOWER_KEY_IP_PROTO, []byte{6})
	opts.AddRtAttr(nl.TCA_FLOWER_FLAGS, u32(flagInHW))
	opts.AddRtAttr(nl.TCA_FLOWER_IN_HW_COUNT, u32(1))
	acts := opts.AddRtAttr(nl.TCA_FLOWER_ACT|unix.NLA_F_NESTED, nil)
	mirredAction(acts, 1, 9, 62142230, 941539, 62142230, 941539)
	msg := message(1, 2, unix.ETH_P_IP, nl.NewRtAttr(nl.TCA_KIND, nl.ZeroTerminated("flower")), opts,
		nl.NewRtAttr(nl.TCA_CHAIN, u32(0)))

	f, ok, err := Decode(msg, names)
	if err != nil || !ok {
		t.Fatalf("Decode: %v, ok=%v", err, ok)
	}
	want := hwoffload.TCFilter{
		Protocol: "ip", Pref: 2, Kind: "flower", Chain: 0, Handle: "0x1",
		Keys: []string{"dst_mac 00:00:00:e7:16:ce", "src_mac 00:00:00:c5:6d:4e", "eth_type ipv4", "ip_proto tcp"},
		InHW: true, InHWCount: 1,
		Actions: []hwoffload.TCAction{{Order: 1, Kind: "mirred", Text: "mirred (Egress Redirect to device 54235e5753b8_h)",
			Device: "54235e5753b8_h", Bytes: 62142230, Packets: 941539, HWBytes: 62142230, HWPackets: 941539}},
	}
	if !reflect.DeepEqual(f, want) {
		t.Errorf("got  %+v\nwant %+v", f, want)
	}
	if !f.InHardware() {
		t.Error("an in_hw filter is not InHardware")
	}
}

func TestDecodeU32SkipHW(t *testing.T) {
	opts := nl.NewRtAttr(nl.TCA_OPTIONS, nil)
	opts.AddRtAttr(tcaU32Flags, u32(flagSkipHW|flagNotInHW))
	acts := opts.AddRtAttr(nl.TCA_U32_ACT|unix.NLA_F_NESTED, nil)
	mirredAction(acts, 1, 3, 840, 10, 0, 0)
	f, ok, err := Decode(message(0x80000800, 1, unix.ETH_P_IP, nl.NewRtAttr(nl.TCA_KIND, nl.ZeroTerminated("u32")), opts,
		nl.NewRtAttr(nl.TCA_CHAIN, u32(3))), names)
	if err != nil || !ok {
		t.Fatalf("Decode: %v, ok=%v", err, ok)
	}
	if f.Handle != "800::800" || f.Chain != 3 || !f.SkipHW || f.SkipSW || f.InHW || !f.NotInHW || f.InHardware() {
		t.Errorf("u32 filter: %+v", f)
	}
	if b, p, hw := f.Stats(); b != 840 || p != 10 || hw != 0 || f.Actions[0].Device != "vb" {
		t.Errorf("stats %d bytes %d pkts %d hw, action %+v", b, p, hw, f.Actions[0])
	}
}

func TestDecodeSkipped(t *testing.T) {
	// One entry per priority, with handle 0: tc prints it without "handle".
	if _, ok, err := Decode(message(0, 1, unix.ETH_P_IP, nl.NewRtAttr(nl.TCA_KIND, nl.ZeroTerminated("u32"))), names); ok || err != nil {
		t.Errorf("handle 0: ok=%v err=%v", ok, err)
	}
	// A u32 hash table ("fh 800: ht divisor 1").
	opts := nl.NewRtAttr(nl.TCA_OPTIONS, nil)
	opts.AddRtAttr(nl.TCA_U32_DIVISOR, u32(1))
	if _, ok, err := Decode(message(0x80000000, 1, unix.ETH_P_IP, nl.NewRtAttr(nl.TCA_KIND, nl.ZeroTerminated("u32")), opts), names); ok || err != nil {
		t.Errorf("hash table: ok=%v err=%v", ok, err)
	}
}

func TestDecodeOtherKinds(t *testing.T) {
	// bpf keeps skip_hw & co in TCA_BPF_FLAGS_GEN (TCA_BPF_FLAGS is direct-action).
	opts := nl.NewRtAttr(nl.TCA_OPTIONS, nil)
	opts.AddRtAttr(nl.TCA_BPF_FLAGS, u32(1))
	opts.AddRtAttr(nl.TCA_BPF_FLAGS_GEN, u32(flagSkipSW|flagInHW))
	f, ok, err := Decode(message(1, 49152, unix.ETH_P_ALL, nl.NewRtAttr(nl.TCA_KIND, nl.ZeroTerminated("bpf")), opts), names)
	if err != nil || !ok || f.Protocol != "all" || f.Pref != 49152 || !f.SkipSW || f.SkipHW || !f.InHardware() {
		t.Errorf("bpf: %+v ok=%v err=%v", f, ok, err)
	}
	// A kind without hardware flags is reported, with none set.
	f, ok, err = Decode(message(0x2, 5, 0x88cc, nl.NewRtAttr(nl.TCA_KIND, nl.ZeroTerminated("basic")), nl.NewRtAttr(nl.TCA_OPTIONS, u32(7))), names)
	if err != nil || !ok || f.Protocol != "0x88cc" || f.Kind != "basic" || f.Handle != "0x2" || f.InHW || f.NotInHW {
		t.Errorf("basic: %+v ok=%v err=%v", f, ok, err)
	}
}

func TestDecodeErrors(t *testing.T) {
	if _, _, err := Decode(make([]byte, 10), names); err == nil {
		t.Error("short tcmsg: no error")
	}
	bad := message(1, 1, unix.ETH_P_IP)
	bad = append(bad, 0xff, 0x00, 0x01, 0x00) // attribute length 255 past the end
	if _, _, err := Decode(bad, names); err == nil {
		t.Error("truncated attribute: no error")
	}
	opts := nl.NewRtAttr(nl.TCA_OPTIONS, nil)
	opts.AddRtAttr(nl.TCA_FLOWER_ACT, []byte{0x40, 0, 1, 0}) // action nest claiming 64 bytes
	if _, _, err := Decode(message(1, 1, unix.ETH_P_IP, nl.NewRtAttr(nl.TCA_KIND, nl.ZeroTerminated("flower")), opts), names); err == nil {
		t.Error("truncated action nest: no error")
	}
}

func TestFormatHandle(t *testing.T) {
	for h, want := range map[uint32]string{0x80000800: "800::800", 0x80000000: "800::", 0x80101001: "801:1:1"} {
		if got := formatHandle("u32", h); got != want {
			t.Errorf("u32 %#x = %q, want %q", h, got, want)
		}
	}
	if got := formatHandle("flower", 0x1); got != "0x1" {
		t.Errorf("flower handle %q", got)
	}
}
