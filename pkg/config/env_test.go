package config

import (
	"strings"
	"testing"
)

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
