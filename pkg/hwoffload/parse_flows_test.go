package hwoffload

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustFlows(t *testing.T, name string) []Flow {
	t.Helper()
	flows, err := ParseDpctlFlows(readTestdata(t, name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return flows
}

func TestParseGuideSample(t *testing.T) {
	flows := mustFlows(t, "dpctl_guide_offloaded.txt")
	if len(flows) != 2 {
		t.Fatalf("got %d flows, want 2", len(flows))
	}
	f := flows[0]
	want := Flow{
		UFID: "91cc45de-e7e9-4935-8f82-1890430b0f66",
		Match: "skb_priority(0/0),skb_mark(0/0),ct_state(0/0x23),ct_zone(0/0),ct_mark(0/0),ct_label(0/0x1),recirc_id(0),dp_hash(0/0)," +
			"in_port(5b45c61b307e_h),packet_type(ns=0/0,id=0/0),eth(src=00:00:00:c5:6d:4e,dst=00:00:00:e7:16:ce),eth_type(0x0800)," +
			"ipv4(src=0.0.0.0/0.0.0.0,dst=0.0.0.0/0.0.0.0,proto=0/0,tos=0/0,ttl=0/0,frag=no)",
		InPort: "5b45c61b307e_h", Packets: 941539, Bytes: 62142230, Used: "0.260s",
		Offloaded: "yes", DP: "tc", Actions: "54235e5753b8_h", Outputs: []string{"54235e5753b8_h"},
	}
	if !reflect.DeepEqual(f, want) {
		t.Errorf("flow 0:\n got %+v\nwant %+v", f, want)
	}
	if flows[1].Packets != 82386659 || flows[1].Bytes != 115944854173 || flows[1].InPort != "54235e5753b8_h" {
		t.Errorf("flow 1: %+v", flows[1])
	}
	if v, ok := f.MatchField("recirc_id"); !ok || v != "0" {
		t.Errorf("recirc_id = %q, %v", v, ok)
	}
	if _, ok := f.MatchField("tunnel"); ok {
		t.Error("tunnel found in a flow without one")
	}
}

func TestParseRealNetdev(t *testing.T) {
	flows := mustFlows(t, "dpctl_netdev_m.txt")
	if len(flows) != 8 {
		t.Fatalf("got %d flows, want 8", len(flows))
	}
	never := 0
	for _, f := range flows {
		if f.DP != "ovs" || f.Offloaded != "no" || f.UFID == "" || !strings.HasPrefix(f.ExtraInfo, "miniflow_bits(") || len(f.Unsupported) != 0 {
			t.Errorf("flow %+v", f)
		}
		if f.Used == "never" {
			never++
		}
	}
	if never != 4 {
		t.Errorf("%d flows used:never, want 4", never)
	}
	if got := flows[0].Outputs; !reflect.DeepEqual(got, []string{"br-int", "repa"}) {
		t.Errorf("outputs %q", got)
	}
	if n := len(FlowsFor(flows, "repa")); n != 8 {
		t.Errorf("FlowsFor(repa) = %d, want 8 (every flow enters or leaves repa)", n)
	}
	if n := len(FlowsFor(flows, "br-int")); n != 5 {
		t.Errorf("FlowsFor(br-int) = %d, want 5", n)
	}
	if n := len(FlowsFor(flows, "nosuch")); n != 0 {
		t.Errorf("FlowsFor(nosuch) = %d", n)
	}
}

func TestParseRealLoadBalancer(t *testing.T) {
	byAction := map[string]Flow{}
	for _, f := range mustFlows(t, "dpctl_netdev_lb_m.txt") {
		byAction[f.Actions] = f
	}
	hash := byAction["hash(l4(0)),recirc(0x2)"]
	if !reflect.DeepEqual(hash.Unsupported, []string{"hash(l4(0))"}) || len(hash.Outputs) != 0 {
		t.Errorf("hash flow: %+v", hash)
	}
	ct := byAction["ct(commit,zone=1,nat(dst=10.0.0.3)),recirc(0x3)"]
	if !reflect.DeepEqual(ct.Unsupported, []string{"dp_hash(0xa9a35a3b/0xf) match"}) || len(ct.Outputs) != 0 || ct.InPort != "repa" {
		t.Errorf("ct flow after hash: %+v", ct)
	}
	// The flow after ct() carries dp_hash(0xa9a35a3b/0): a wildcard, fine.
	for _, f := range byAction {
		if v, _ := f.MatchField("recirc_id"); v == "0x3" && len(f.Unsupported) != 0 {
			t.Errorf("recirc 0x3 flagged: %q", f.Unsupported)
		}
	}

	// Without -m: no ufid, port numbers, no dp: (defaults to ovs).
	flows := mustFlows(t, "dpctl_netdev_lb.txt")
	if len(flows) != 11 {
		t.Fatalf("got %d flows, want 11", len(flows))
	}
	f := flows[1]
	if f.UFID != "" || f.InPort != "3" || f.DP != "ovs" || f.Offloaded != "no" || !reflect.DeepEqual(f.Outputs, []string{"1", "2", "4"}) {
		t.Errorf("flow without -m: %+v", f)
	}
	if !reflect.DeepEqual(flows[0].Unsupported, []string{"dp_hash(0xa9a35a3b/0xf) match"}) {
		t.Errorf("dp_hash without -m: %q", flows[0].Unsupported)
	}
	if !reflect.DeepEqual(flows[8].Unsupported, []string{"hash(l4(0))"}) {
		t.Errorf("hash without -m: %q", flows[8].Unsupported)
	}
}

func TestParseConstructedMixed(t *testing.T) {
	flows := mustFlows(t, "dpctl_tc_mixed.txt")
	if len(flows) != 7 {
		t.Fatalf("got %d flows, want 7", len(flows))
	}
	encap := flows[1]
	if !reflect.DeepEqual(encap.Outputs, []string{"genev_sys_6081"}) || !strings.HasPrefix(encap.Actions, "set(tunnel(tun_id=0x3,") {
		t.Errorf("encap: %+v", encap)
	}
	decap := flows[2]
	if decap.InPort != "genev_sys_6081" || !strings.HasPrefix(decap.Match, "tunnel(") || decap.Offloaded != "yes" {
		t.Errorf("decap: %+v", decap)
	}
	if tun, _ := decap.MatchField("tunnel"); !strings.Contains(tun, "geneve({class=0x102,") {
		t.Errorf("tunnel field %q", tun)
	}
	ct := flows[3]
	if ct.DP != "tc" || ct.Offloaded != "no" || len(ct.Outputs) != 0 || ct.Actions != "ct(zone=5,nat),recirc(0x1e)" {
		t.Errorf("tc software flow: %+v", ct)
	}
	slow := flows[5]
	if len(slow.Unsupported) != 1 || !strings.HasPrefix(slow.Unsupported[0], "userspace(pid=3520287328,controller(") || len(slow.Outputs) != 0 {
		t.Errorf("userspace flow: %+v", slow)
	}
	if flows[6].TCPFlags != "P." || flows[6].DP != "ovs" {
		t.Errorf("kernel flow: %+v", flows[6])
	}
	if n := len(FlowsFor(flows, "5b45c61b307e_h")); n != 7 {
		t.Errorf("FlowsFor = %d, want 7", n)
	}
}

func TestParseConstructedPartial(t *testing.T) {
	flows := mustFlows(t, "dpctl_dpdk_partial.txt")
	if len(flows) != 3 {
		t.Fatalf("got %d flows", len(flows))
	}
	got := [][2]string{}
	for _, f := range flows {
		got = append(got, [2]string{f.Offloaded, f.DP})
	}
	want := [][2]string{{"partial", "ovs"}, {"yes", "dpdk"}, {"no", "ovs"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestParseActions(t *testing.T) {
	for _, tc := range []struct {
		actions     string
		outputs     []string
		unsupported []string
	}{
		{"drop", nil, nil},
		{"2", []string{"2"}, nil},
		{"push_vlan(vid=100,pcp=0),eth0,pop_vlan,eth1", []string{"eth0", "eth1"}, nil},
		{"ct_clear,set(eth(src=0a:58:0a:10:00:01,dst=00:00:00:c5:6d:4e)),set(ipv4(ttl=63)),5b45c61b307e_h", []string{"5b45c61b307e_h"}, nil},
		{"clone(tnl_push(tnl_port(4),header(size=50,type=4,eth(dst=aa:bb:cc:dd:ee:ff,src=00:11:22:33:44:55,dl_type=0x0800),ipv4(src=1.1.1.1,dst=2.2.2.2,proto=17,tos=0,ttl=64,frag=0x4000),udp(src=0,dst=6081,csum=0x0),geneve(vni=0x3)),out_port(1)),2)",
			[]string{"2"}, nil},
		{"sample(sample=10.0%,actions(userspace(pid=4294967295,flow_sample(probability=6553,collector_set_id=1,obs_domain_id=0,obs_point_id=0,output_port=4294967295)))),veth1",
			[]string{"veth1"}, []string{"sample(sample=10.0%,actions(userspace(pid=4294967295,flow_sample(probability=6553,collector_set_id=1,obs_domain_id=0,obs_point_id=0,output_port=4294967295))))"}},
		{"check_pkt_len(size=1514,gt(userspace(pid=1,slow_path(action))),le(eth2))", nil,
			[]string{"check_pkt_len(size=1514,gt(userspace(pid=1,slow_path(action))),le(eth2))"}},
		{"ct(commit,zone=1,mark=0x1/0x1,nat(src=10.0.0.1)),recirc(0x1)", nil, nil},
	} {
		line := "recirc_id(0),in_port(3),eth_type(0x0800), packets:1, bytes:98, used:0.001s, actions:" + tc.actions
		flows, err := ParseDpctlFlows(line)
		if err != nil {
			t.Fatalf("%s: %v", tc.actions, err)
		}
		f := flows[0]
		if f.Actions != tc.actions || !reflect.DeepEqual(f.Outputs, tc.outputs) || !reflect.DeepEqual(f.Unsupported, tc.unsupported) {
			t.Errorf("%s:\n outputs %q unsupported %q", tc.actions, f.Outputs, f.Unsupported)
		}
	}
}

func TestParseDpctlErrorsAndEmpty(t *testing.T) {
	for _, out := range []string{"", "\n", "flow-dump from the main thread:\n"} {
		if flows, err := ParseDpctlFlows(out); err != nil || len(flows) != 0 {
			t.Errorf("%q: %v %v", out, flows, err)
		}
	}
	for _, out := range []string{
		"ovs-appctl: cannot connect to \"/var/run/openvswitch/ovs-vswitchd.1.ctl\"",
		"recirc_id(0),in_port(3), packets:x, bytes:1, used:never, actions:2",
		"recirc_id(0),in_port(3), packets:1, bytes:1, used:never",
		"recirc_id(0),in_port(3), packets:1, bytes:1, used:never, surprise:1, actions:2",
	} {
		if _, err := ParseDpctlFlows(out); err == nil {
			t.Errorf("%q: no error", out)
		}
	}
}
