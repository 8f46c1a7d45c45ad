package sriov

import "testing"

func TestSiblingRepName(t *testing.T) {
	const pf = "0000:03:00.0"
	for _, tc := range []struct {
		what, repPort string
		siblings      map[string]string
		want          string
	}{
		{"udev n<port> names", "pf0vf0", map[string]string{"enp3s0npf0vf1": "pf0vf1", "enp3s0npf0vf2": "pf0vf2"}, "enp3s0npf0vf0"},
		{"mlx5 vendor rule <pf>_<N>", "pf0vf0", map[string]string{"enp3s0f0_1": "pf0vf1", "enp3s0f0_2": "pf0vf2"}, "enp3s0f0_0"},
		{"two-digit numbers", "pf0vf12", map[string]string{"enp3s0f0_3": "pf0vf3"}, "enp3s0f0_12"},
		{"systemd v255 r<N>", "pf0vf7", map[string]string{"enp3s0r1": "pf0vf1"}, "enp3s0r7"},
		{"one sibling is enough", "pf0vf3", map[string]string{"enp3s0npf0vf1": "pf0vf1"}, "enp3s0npf0vf3"},
		{"renamed siblings do not vote", "pf0vf0", map[string]string{"0123456789ab_h": "pf0vf1", "pf03000vf2": "pf0vf2"}, ""},
		{"majority wins", "pf0vf0", map[string]string{"enp3s0f0_1": "pf0vf1", "enp3s0f0_2": "pf0vf2", "rep9": "pf0vf9"}, "enp3s0f0_0"},
		{"other PF's ports do not vote", "pf0vf0", map[string]string{"enp3s0npf1vf1": "pf1vf1"}, ""},
		{"itself does not vote", "pf0vf1", map[string]string{"enp3s0npf0vf1": "pf0vf1"}, ""},
		{"uplink and PF netdev do not vote", "pf0vf0", map[string]string{"enp3s0np0": "p0", "enp3s0": ""}, ""},
		{"a digit before the number is not a boundary", "pf0vf1", map[string]string{"eth21": "pf0vf1", "x12": "pf0vf2"}, ""},
		{"too long", "pf0vf10", map[string]string{"enp129s0f0npf0vf1": "pf0vf1"}, ""},
		{"not a VF port", "p0", map[string]string{"enp3s0npf0vf1": "pf0vf1"}, ""},
	} {
		var names []string
		for n := range tc.siblings {
			names = append(names, n)
		}
		got := SiblingRepName(tc.repPort, names, func(n string) string { return tc.siblings[n] }, pf)
		if got != tc.want {
			t.Errorf("%s: SiblingRepName(%q, %v) = %q, want %q", tc.what, tc.repPort, tc.siblings, got, tc.want)
		}
	}
}
