package offload

import (
	"net"
	"strings"
	"testing"

	current "github.com/containernetworking/cni/pkg/types/100"
)

func TestPodInterface(t *testing.T) {
	ip := func(iface *int) *current.IPConfig {
		return &current.IPConfig{Address: net.IPNet{IP: net.IPv4(10, 16, 0, 5), Mask: net.CIDRMask(16, 32)}, Interface: iface}
	}
	idx := func(i int) *int { return &i }
	pod := func(name string) *current.Interface { return &current.Interface{Name: name, Sandbox: "/run/netns/p"} }
	host := func(name string) *current.Interface { return &current.Interface{Name: name} }
	for _, tc := range []struct {
		name    string
		ifname  string
		ifaces  []*current.Interface
		ips     []*current.IPConfig
		want    int
		wantErr string
	}{
		{name: "kube-ovn's result", ifname: "eth0", ifaces: []*current.Interface{pod("eth0")}, ips: []*current.IPConfig{ip(idx(0))}, want: 0},
		{name: "host interface first", ifname: "eth0", ifaces: []*current.Interface{host("abc_h"), pod("eth0")}, ips: []*current.IPConfig{ip(idx(1))}, want: 1},
		{name: "second interface", ifname: "net1", ifaces: []*current.Interface{pod("eth0"), pod("net1")}, want: 1},
		{name: "IP without interface index", ifname: "eth0", ifaces: []*current.Interface{pod("eth0")}, ips: []*current.IPConfig{ip(nil)}, want: 0},
		{name: "the last of two pod interfaces of that name", ifname: "eth0", ifaces: []*current.Interface{pod("eth0"), pod("eth0")}, want: 1},
		{name: "only a host interface of that name", ifname: "eth0", ifaces: []*current.Interface{host("eth0")},
			wantErr: `prevResult has no interface "eth0" in the pod`},
		{name: "other ifname", ifname: "net1", ifaces: []*current.Interface{pod("eth0")},
			wantErr: `prevResult has no interface "net1" in the pod`},
		{name: "no interfaces", ifname: "eth0", wantErr: `prevResult has no interface "eth0" in the pod`},
		{name: "IP beyond the interfaces", ifname: "eth0", ifaces: []*current.Interface{pod("eth0")}, ips: []*current.IPConfig{ip(idx(1))},
			wantErr: "prevResult IP 10.16.0.5/16 refers to interface 1 of 1"},
		{name: "negative interface index", ifname: "eth0", ifaces: []*current.Interface{pod("eth0")}, ips: []*current.IPConfig{ip(idx(0)), ip(idx(-1))},
			wantErr: "prevResult IP 10.16.0.5/16 refers to interface -1 of 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := podInterface(&current.Result{Interfaces: tc.ifaces, IPs: tc.ips}, tc.ifname)
			switch {
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("want error %q, got %d, %v", tc.wantErr, got, err)
			case tc.wantErr == "" && err != nil:
				t.Fatalf("want %d, got error %v", tc.want, err)
			case tc.wantErr == "" && got != tc.want:
				t.Fatalf("got interface %d, want %d", got, tc.want)
			}
		})
	}
}
