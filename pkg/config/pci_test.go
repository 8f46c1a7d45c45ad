package config

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

func TestNormalizePCI(t *testing.T) {
	for in, want := range map[string]string{
		"0000:03:00.2": "0000:03:00.2",
		"0000:AF:1F.7": "0000:af:1f.7",
		"03:00.2":      "0000:03:00.2",
		"ffff:ff:1f.0": "ffff:ff:1f.0",
	} {
		if got, err := NormalizePCI(in); err != nil || got != want {
			t.Errorf("NormalizePCI(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := []string{
		"", "0000:03:00.8", "0000:03:20.0", "0000:03:00", "000:03:00.2", "00000:03:00.2",
		"../../etc/passwd", "0000:03:00.2/../../x", "0000:03:00.2;rm -rf /", " 0000:03:00.2",
		"0000:03:00.2\n", "0000:03:00.2\x00", "０000:03:00.2", "0000:03:00.２", "0000:0g:00.2",
		"0000-03-00.2", "0000:03:00:2", "eth0", strings.Repeat("0000:03:00.2", 900),
		"0000:03:00.2 ", "0000:03:00.-1", "0x00:03:00.2",
	}
	for _, in := range bad {
		_, err := NormalizePCI(in)
		if err == nil {
			t.Errorf("NormalizePCI(%q) accepted", in)
			continue
		}
		if len(err.Error()) > 250 {
			t.Errorf("error for %d-byte input not truncated: %d bytes", len(in), len(err.Error()))
		}
	}
}

func TestDeviceInfoRoundTrip(t *testing.T) {
	in := []byte(`{"type":"pci","version":"1.1.0","pci":{"pci-address":"0000:03:00.2","pf-pci-address":"0000:03:00.0","rdma-device":"mlx5_3"},"vendor":{"x":12345678901234567890}}`)
	pci, err := ParseDeviceInfo(in)
	if err != nil || pci != "0000:03:00.2" {
		t.Fatalf("ParseDeviceInfo = %q, %v", pci, err)
	}
	out, err := AddRepresentor(in, "eth5")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	d := json.NewDecoder(strings.NewReader(string(out)))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	p := m["pci"].(map[string]any)
	if p["representor-device"] != "eth5" || p["pf-pci-address"] != "0000:03:00.0" || p["rdma-device"] != "mlx5_3" ||
		m["version"] != "1.1.0" || m["vendor"].(map[string]any)["x"].(json.Number) != "12345678901234567890" {
		t.Errorf("fields lost: %s", out)
	}
	if pci2, err := ParseDeviceInfo(out); err != nil || pci2 != pci {
		t.Errorf("re-parse = %q, %v", pci2, err)
	}
	for _, bad := range []string{`{"type":"net","pci":{"pci-address":"0000:03:00.2"}}`, `{"type":"pci"}`,
		`{"type":"pci","pci":{"pci-address":"../x"}}`, `{"type":"pci","pci":"x"}`, `[]`, `{`} {
		if _, err := ParseDeviceInfo([]byte(bad)); err == nil {
			t.Errorf("ParseDeviceInfo(%s) accepted", bad)
		}
		if _, err := AddRepresentor([]byte(bad), "eth5"); err == nil {
			t.Errorf("AddRepresentor(%s) accepted", bad)
		}
	}
	if _, err := AddRepresentor(in, "a/b"); err == nil {
		t.Error("bad representor name accepted")
	}
}

var canonical = regexp.MustCompile(PCIAddressPattern)
