package config

import (
	"strings"
	"testing"
)

func TestHostPortName(t *testing.T) {
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
		got := HostPortName(tc.cid, tc.ifname)
		if got != tc.want || len(got) > 15 {
			t.Errorf("HostPortName(%q, %q) = %q, want %q", tc.cid, tc.ifname, got, tc.want)
		}
	}
}

func TestValidateEnv(t *testing.T) {
	long := strings.Repeat("a", 257)
	for _, tc := range []struct {
		cid, netns, ifname string
		required, ok       bool
	}{
		{"abc_1.2-3", "/var/run/netns/x", "eth0", true, true},
		{"abc", "", "eth0", false, true},
		{"abc", "", "eth0", true, false},
		{"abc", "var/run/netns/x", "eth0", false, false},
		{"", "/n", "eth0", true, false},
		{"a..b", "/n", "eth0", true, false},
		{"a/b", "/n", "eth0", true, false},
		{"a b", "/n", "eth0", true, false},
		{"aé", "/n", "eth0", true, false},
		{long, "/n", "eth0", true, false},
		{strings.Repeat("a", 256), "/n", "eth0", true, true},
		{"abc", "/n", "", true, false},
		{"abc", "/n", ".", true, false},
		{"abc", "/n", "..", true, false},
		{"abc", "/n", "eth:0", true, false},
		{"abc", "/n", "eth 0", true, false},
		{"abc", "/n", "eth/0", true, false},
		{"abc", "/n", "0123456789abcdef", true, false},
		{"abc", "/n", "0123456789abcde", true, true},
	} {
		err := Env{tc.cid, tc.netns, tc.ifname}.Validate(tc.required)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateEnv(%q, %q, %q, %v) = %v", tc.cid, tc.netns, tc.ifname, tc.required, err)
		}
	}
}
