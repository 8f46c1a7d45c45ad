package sriov

import "testing"

func TestUdevRepName(t *testing.T) {
	cases := []struct {
		name                        string
		uplink, uplinkPort, repPort string
		want                        string
	}{
		{"agilio", "enp3s0np0", "p0", "pf0vf0", "enp3s0npf0vf0"},
		{"agilio VF 64", "enp3s0np0", "p0", "pf0vf64", "enp3s0npf0vf64"},
		{"connectx", "enp3s0f0np0", "p0", "pf0vf0", "enp3s0f0npf0vf0"},
		{"second port", "enp3s0f1np1", "p1", "pf1vf3", "enp3s0f1npf1vf3"},
		{"slot name", "ens1f0np0", "p0", "pf0vf7", "ens1f0npf0vf7"},
		{"onboard name", "eno1np0", "p0", "pf0vf1", "eno1npf0vf1"},
		{"sub-function", "enp3s0np0", "p0", "pf0sf1", "enp3s0npf0sf1"},
		{"controller", "enp3s0np0", "p0", "c1pf0vf2", "enp3s0nc1pf0vf2"},
		// 16 bytes: udev gives no path name, neither do we.
		{"connectx VF 10 too long", "enp3s0f0np0", "p0", "pf0vf10", ""},
		{"long prefix", "enp129s0f0np0", "p0", "pf0vf0", ""},
		{"PCI domain", "enP1p3s0np0", "p0", "pf0vf0", "enP1p3s0npf0vf0"},
		{"PCI domain too long", "enP1p129s0f0np0", "p0", "pf0vf0", ""},
		{"uplink without n<port>", "enp3s0f0", "p0", "pf0vf0", ""},
		{"uplink with another port", "enp3s0np1", "p0", "pf0vf0", ""},
		{"kernel name", "eth2", "p0", "pf0vf0", ""},
		{"kernel name ending like a port", "ethnp0", "p0", "pf0vf0", ""},
		{"not en", "wlp3s0np0", "p0", "pf0vf0", ""},
		{"only the suffix", "np0", "p0", "pf0vf0", ""},
		{"bare en", "ennp0", "p0", "pf0vf0", ""},
		{"vendor rule name", "03_p0", "p0", "pf0vf0", ""},
		{"uplink port not pN", "enp3s0npf0", "pf0", "pf0vf0", ""},
		{"no uplink port", "enp3s0np0", "", "pf0vf0", ""},
		{"no representor port", "enp3s0np0", "p0", "", ""},
		{"odd representor port", "enp3s0np0", "p0", "pf0/vf0", ""},
		{"no uplink", "", "p0", "pf0vf0", ""},
	}
	for _, c := range cases {
		got := UdevRepName(c.uplink, c.uplinkPort, c.repPort)
		if got != c.want {
			t.Errorf("%s: UdevRepName(%q, %q, %q) = %q, want %q", c.name, c.uplink, c.uplinkPort, c.repPort, got, c.want)
		}
		if len(got) > 15 {
			t.Errorf("%s: %q is longer than 15 bytes", c.name, got)
		}
	}
}
