package config

import (
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"cniVersion":"1.0.0","name":"n","type":"vf-offload"}`))
	f.Add([]byte(`{"cniVersion":"0.4.0","deviceID":"03:00.2","prevResult":{"interfaces":[{"name":"eth0"}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			return
		}
		if c.Bridge == "" || c.StateDir == "" || c.OVSDB == "" {
			t.Fatalf("defaults missing: %+v", c)
		}
		if pci, _, err := c.DeviceID(); err == nil && pci != "" && !canonical.MatchString(pci) {
			t.Fatalf("DeviceID returned non-canonical %q", pci)
		}
	})
}

func FuzzNormalizePCI(f *testing.F) {
	for _, s := range []string{"0000:03:00.2", "03:00.2", "0000:03:00.8", "../x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := NormalizePCI(s)
		if err != nil {
			return
		}
		if !canonical.MatchString(out) {
			t.Fatalf("NormalizePCI(%q) = %q, not canonical", s, out)
		}
		if again, err := NormalizePCI(out); err != nil || again != out {
			t.Fatalf("not idempotent: %q -> %q, %v", out, again, err)
		}
	})
}

// FuzzParseDeviceInfo: a device-info file yields a canonical PCI address or
// an error, and never panics.
func FuzzParseDeviceInfo(f *testing.F) {
	f.Add([]byte(`{"type":"pci","version":"1.1.0","pci":{"pci-address":"0000:03:00.2"}}`))
	f.Add([]byte(`{"type":"pci","pci":{"pci-address":"../../sys"}}`))
	f.Add([]byte(`{"type":"pci","pci":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		pci, err := ParseDeviceInfo(data)
		if err == nil && !canonical.MatchString(pci) {
			t.Fatalf("ParseDeviceInfo returned non-canonical %q", pci)
		}
	})
}
