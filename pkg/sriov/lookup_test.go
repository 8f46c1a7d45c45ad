package sriov

import "testing"

func TestStableRepName(t *testing.T) {
	cases := map[string]struct {
		pf  string
		idx int
	}{
		"pf03000vf2":   {"0000:03:00.0", 2},
		"pf81001vf64":  {"0000:81:00.1", 64},
		"p000103000v3": {"0001:03:00.0", 3},
		"pfff1f7vf0":   {"0000:ff:1f.7", 0},
	}
	for want, c := range cases {
		got := StableRepName(c.pf, c.idx)
		if got != want {
			t.Errorf("StableRepName(%s, %d) = %q, want %q", c.pf, c.idx, got, want)
		}
		if len(got) > 15 {
			t.Errorf("StableRepName(%s, %d) = %q is longer than 15 bytes", c.pf, c.idx, got)
		}
	}
}
