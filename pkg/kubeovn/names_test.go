package kubeovn

import "testing"

func TestPortName(t *testing.T) {
	cid := "0123456789abcdef0123456789abcdef"
	for _, tc := range []struct{ cid, ifname, want string }{
		{cid, "eth0", "0123456789ab_h"},
		{cid, "net1", "01234567_net1_h"}, // cid[0:12-4]; 15 bytes
		{cid, "a", "0123456789a_a_h"},
		{cid, "podabcdefg1234", "01234_abcdefg_h"}, // KubeVirt: ifname[3:10]
		{cid, "abcdefghijkl", "_abcdefghijkl_h"},
		{cid, "abcdefghijklmno", "_abcdefghijkl_h"},
		{"abc", "eth0", "abc_h"},
		{"abc", "net1", "abc_net1_h"},
		{"", "net1", "_net1_h"},
	} {
		got := PortName(tc.cid, tc.ifname)
		if got != tc.want || len(got) > 15 {
			t.Errorf("PortName(%q, %q) = %q, want %q", tc.cid, tc.ifname, got, tc.want)
		}
		if c := PodVethName(tc.cid, tc.ifname); c != tc.want[:len(tc.want)-2]+"_c" {
			t.Errorf("PodVethName(%q, %q) = %q, want %q", tc.cid, tc.ifname, c, tc.want[:len(tc.want)-2]+"_c")
		}
	}
}

func TestIfnameFromPort(t *testing.T) {
	hex := "0123456789abcdef0123456789abcdef"
	under := "ab_cd_ef_0123456789" // CNI allows '_' in container IDs
	for _, tc := range []struct {
		name, cid, port, want string
	}{
		{"eth0", hex, "0123456789ab_h", "eth0"},
		{"net1", hex, "01234567_net1_h", "net1"},
		{"one-letter", hex, "0123456789a_a_h", "a"},
		{"12-byte ifname, no cid left", hex, "_abcdefghijkl_h", "abcdefghijkl"},
		{"ifname with '_'", hex, "0123456_my_if_h", "my_if"},
		{"kubevirt, shortened", hex, "01234_abcdefg_h", "abcdefg"},
		{"cid with '_', eth0", under, "ab_cd_ef_012_h", "eth0"},
		{"cid with '_', net1", under, "ab_cd_ef_net1_h", "net1"},
		{"cid with '_', one-letter", under, "ab_cd_ef_01_x_h", "x"},
		{"short cid", "abc", "abc_net1_h", "net1"},
		{"short cid, eth0", "abc", "abc_h", "eth0"},
		{"another container's port", hex, "fedcba987654_h", "eth0"},
		{"not a Kube-OVN port", hex, "vfo0123456789", "eth0"},
		{"only the suffix", hex, "_h", "eth0"},
		{"empty", hex, "", "eth0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := IfnameFromPort(tc.cid, tc.port); got != tc.want {
				t.Errorf("IfnameFromPort(%q, %q) = %q, want %q", tc.cid, tc.port, got, tc.want)
			}
		})
	}
	// Round trips: every ifname comes back from a hex container ID; with
	// one full of '_' the port is what any of several ifnames would give,
	// and what comes back must at least give the same port.
	for _, cid := range []string{hex, "a_b_c_d_e_f_g_h_i", "x_"} {
		for _, ifname := range []string{"eth0", "e", "net1", "net_1", "eth10", "abcdefghijk", "abcdefghijkl"} {
			port := PortName(cid, ifname)
			got := IfnameFromPort(cid, port)
			if PortName(cid, got) != port || (cid == hex && got != ifname) {
				t.Errorf("IfnameFromPort(%q, %q) = %q, from ifname %q", cid, port, got, ifname)
			}
		}
	}
}
