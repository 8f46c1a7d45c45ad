package hwoffload

import (
	"reflect"
	"testing"
)

func mustFilters(t *testing.T, name string) []TCFilter {
	t.Helper()
	filters, err := ParseTCFilters(readTestdata(t, name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return filters
}

func TestParseTCInHW(t *testing.T) {
	filters := mustFilters(t, "tc_rep_in_hw.txt")
	if len(filters) != 2 {
		t.Fatalf("got %d filters, want 2", len(filters))
	}
	want := TCFilter{
		Protocol: "ip", Pref: 2, Kind: "flower", Chain: 0, Handle: "0x1",
		Keys: []string{"dst_mac 00:00:00:e7:16:ce", "src_mac 00:00:00:c5:6d:4e", "eth_type ipv4", "ip_flags nofrag"},
		InHW: true, InHWCount: 1,
		Actions: []TCAction{{
			Order: 1, Kind: "mirred", Text: "mirred (Egress Redirect to device 54235e5753b8_h) stolen",
			Device: "54235e5753b8_h", Bytes: 62142230, Packets: 941539, HWBytes: 62142230, HWPackets: 941539,
		}},
	}
	if !reflect.DeepEqual(filters[0], want) {
		t.Errorf("filter 0:\n got %+v\nwant %+v", filters[0], want)
	}
	arp := filters[1]
	if b, p, hw := arp.Stats(); arp.Protocol != "arp" || arp.Pref != 3 || !arp.InHardware() || b != 1260 || p != 30 || hw != 28 {
		t.Errorf("arp filter: %+v", arp)
	}
}

func TestParseTCMixed(t *testing.T) {
	filters := mustFilters(t, "tc_rep_mixed.txt")
	if len(filters) != 3 {
		t.Fatalf("got %d filters, want 3", len(filters))
	}
	ct := filters[1]
	if ct.InHardware() || !ct.NotInHW || ct.SkipHW || len(ct.Actions) != 2 {
		t.Fatalf("ct filter: %+v", ct)
	}
	if a := ct.Actions[0]; a.Kind != "ct" || a.Text != "ct zone 5 nat pipe" || a.Packets != 88 || a.HWPackets != 0 || a.Device != "" {
		t.Errorf("ct action: %+v", a)
	}
	if a := ct.Actions[1]; a.Order != 2 || a.Kind != "gact" || a.Text != "gact action goto chain 30" || a.Bytes != 9120 {
		t.Errorf("gact action: %+v", a)
	}
	if len(ct.Keys) != 9 || ct.Keys[8] != "ct_state -trk" {
		t.Errorf("keys %q", ct.Keys)
	}
	skip := filters[2]
	if !skip.SkipHW || !skip.NotInHW || skip.InHardware() || skip.Protocol != "ipv6" {
		t.Errorf("skip_hw filter: %+v", skip)
	}
}

func TestParseTCVariants(t *testing.T) {
	// Without -s (no statistics), without "parent", a matchall filter with
	// skip_sw, and a filter whose in_hw line has no count (older kernels).
	out := "filter protocol all pref 1 matchall chain 0 \n" +
		"filter protocol all pref 1 matchall chain 0 handle 0x1 \n" +
		"  skip_sw\n" +
		"  in_hw in_hw_count 2\n" +
		"\taction order 1: gact action drop\n" +
		"\t random type none pass val 0\n" +
		"\t index 1 ref 1 bind 1\n" +
		"\n" +
		"filter protocol ip pref 2 flower chain 0 handle 0x2 \n" +
		"  eth_type ipv4\n" +
		"  in_hw\n" +
		"\taction order 1: mirred (Egress Redirect to device eth1) stolen\n" +
		"\tindex 2 ref 1 bind 1\n"
	filters, err := ParseTCFilters(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(filters) != 2 {
		t.Fatalf("got %d filters", len(filters))
	}
	if f := filters[0]; f.Kind != "matchall" || f.Protocol != "all" || !f.SkipSW || f.InHWCount != 2 || len(f.Keys) != 0 || f.Actions[0].Kind != "gact" {
		t.Errorf("matchall: %+v", f)
	}
	if f := filters[1]; !f.InHardware() || f.InHWCount != 0 || f.Handle != "0x2" || f.Actions[0].Device != "eth1" {
		t.Errorf("flower: %+v", f)
	}
	if filters, err := ParseTCFilters(""); err != nil || filters != nil {
		t.Errorf("empty: %v %v", filters, err)
	}
}

func TestParseTCErrors(t *testing.T) {
	for _, out := range []string{
		"Cannot find device \"rep0\"\n",
		"filter protocol ip pref x flower chain 0 handle 0x1\n",
		"filter protocol ip pref 2 flower chain 0 handle 0x1\n  in_hw in_hw_count\n",
		"filter protocol ip pref 2 flower chain 0 handle 0x1\n\taction order one: gact action drop\n",
		"filter protocol ip pref 2 flower chain 0 handle 0x1\n\taction order 1: gact action drop\n\tSent many bytes 1 pkt\n",
	} {
		if _, err := ParseTCFilters(out); err == nil {
			t.Errorf("%q: no error", out)
		}
	}
}

func TestParseTCU32Real(t *testing.T) {
	filters := mustFilters(t, "tc_u32_veth_real.txt")
	if len(filters) != 2 {
		t.Fatalf("got %d filters, want 2 (the u32 hash tables are not filters)", len(filters))
	}
	f := filters[0]
	if f.Kind != "u32" || f.Handle != "800::800" || f.Pref != 1 || !f.SkipHW || !f.NotInHW || f.InHardware() ||
		len(f.Keys) != 1 || f.Keys[0] != "match c0000201/ffffffff at 16" {
		t.Errorf("skip_hw u32 filter: %+v", f)
	}
	if b, p, hw := f.Stats(); b != 252 || p != 3 || hw != 0 || f.Actions[0].Device != "sink0" {
		t.Errorf("stats %d %d %d, action %+v", b, p, hw, f.Actions)
	}
	if g := filters[1]; g.Handle != "801::800" || g.SkipHW || !g.NotInHW {
		t.Errorf("u32 filter without skip_hw: %+v", g)
	}
	commented, err := ParseTCFilters("# recorded on node-1\n# tc -s filter show dev rep0 ingress\n" + readTestdata(t, "tc_u32_veth_real.txt"))
	if err != nil || !reflect.DeepEqual(commented, filters) {
		t.Errorf("with a comment header: %v\n%+v", err, commented)
	}
}
