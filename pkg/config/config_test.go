package config

import (
	"strings"
	"testing"

	current "github.com/containernetworking/cni/pkg/types/100"
)

func TestParseDefaults(t *testing.T) {
	c, err := Parse([]byte(`{"cniVersion":"1.0.0","name":"n","type":"vf-offload","unknownKey":{"x":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Bridge != DefaultBridge || c.OVSDB != DefaultOVSDB || c.StateDir != DefaultStateDir ||
		c.LogLevel != DefaultLogLevel || c.LogFile != "" || c.RequireOffload || c.PrevResult != nil {
		t.Errorf("defaults not applied: %+v", c)
	}
}

func TestParseVersions(t *testing.T) {
	for _, v := range SupportedVersions() {
		if _, err := Parse([]byte(`{"cniVersion":"` + v + `"}`)); err != nil {
			t.Errorf("version %s refused: %v", v, err)
		}
	}
	for _, v := range []string{"", "0.1.0", "0.2.0", "1.2.0", "2.0.0", "1.0", "v1.0.0"} {
		_, err := Parse([]byte(`{"cniVersion":"` + v + `"}`))
		if err == nil || !strings.Contains(err.Error(), `"`+v+`"`) {
			t.Errorf("version %q: want error naming it, got %v", v, err)
		}
	}
}

func TestParseErrorsNameKey(t *testing.T) {
	for _, tc := range []struct{ json, key string }{
		{`"bridge":1`, "bridge"},
		{`"bridge":"br/int"`, "bridge"},
		{`"bridge":"br int"`, "bridge"},
		{`"bridge":"a-very-long-bridge-name"`, "bridge"},
		{`"ovsdb":"/run/db.sock"`, "ovsdb"},
		{`"ovsdb":"unix:run/db.sock"`, "ovsdb"},
		{`"ovsdb":"tcp:host"`, "ovsdb"},
		{`"ovsdb":"tcp::6640"`, "ovsdb"},
		{`"ovsdb":"ssl:h:99999"`, "ovsdb"},
		{`"ovsdb":"http:h:80"`, "ovsdb"},
		{`"stateDir":"var/lib"`, "stateDir"},
		{`"stateDir":"/var/lib/../x"`, "stateDir"},
		{`"stateDir":true`, "stateDir"},
		{`"logFile":"log.txt"`, "logFile"},
		{`"logLevel":"trace"`, "logLevel"},
		{`"requireOffload":"yes"`, "requireOffload"},
		{`"deviceID":3`, "deviceID"},
		{`"runtimeConfig":{"deviceID":[]}`, "runtimeConfig.deviceID"},
		{`"runtimeConfig":{"CNIDeviceInfoFile":"rel/x"}`, "runtimeConfig.CNIDeviceInfoFile"},
		{`"prevResult":"x"`, "prevResult"},
		{`"prevResult":{"interfaces":"x"}`, "prevResult"},
		{`"cni.dev/valid-attachments":[{"containerID":"../x","ifname":"eth0"}]`, "../x"},
		{`"cni.dev/attachments":[{"containerID":"abc","ifname":"a/b"}]`, "a/b"},
	} {
		_, err := Parse([]byte(`{"cniVersion":"1.1.0",` + tc.json + `}`))
		if err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%s: want error naming %q, got %v", tc.json, tc.key, err)
		}
	}
	if _, err := Parse([]byte(`{"cniVersion":`)); err == nil {
		t.Error("truncated JSON accepted")
	}
}

func TestParseGood(t *testing.T) {
	c, err := Parse([]byte(`{"cniVersion":"0.4.0","bridge":"br0","ovsdb":"tcp:[::1]:6640",
		"stateDir":"/run/x","logFile":"/var/log/x.log","logLevel":"debug","requireOffload":true,
		"prevResult":{"interfaces":[{"name":"eth0","sandbox":"/var/run/netns/x"}],
		"ips":[{"version":"4","address":"10.0.0.2/24","interface":0}]},
		"cni.dev/valid-attachments":[{"containerID":"a","ifname":"eth0"}],
		"cni.dev/attachments":[{"containerID":"a","ifname":"eth0"},{"containerID":"b","ifname":"net1"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	res, ok := c.PrevResult.(*current.Result)
	if !ok || res.CNIVersion != current.ImplementedSpecVersion || len(res.Interfaces) != 1 || len(res.IPs) != 1 {
		t.Errorf("prevResult not converted to types/100: %#v", c.PrevResult)
	}
	if !c.RequireOffload || c.Bridge != "br0" || c.LogLevel != "debug" {
		t.Errorf("values lost: %+v", c)
	}
	if got := c.GCValid(); len(got) != 2 || got[1].ContainerID != "b" {
		t.Errorf("GCValid = %+v", got)
	}
}

func TestDeviceIDPrecedence(t *testing.T) {
	for _, tc := range []struct{ json, pci, src string }{
		{`"runtimeConfig":{"deviceID":"0000:03:00.1"},"deviceID":"0000:03:00.2","pciBusID":"0000:03:00.3"`, "0000:03:00.1", SourceRuntimeConfig},
		{`"deviceID":"03:00.2","pciBusID":"0000:03:00.3"`, "0000:03:00.2", SourceDeviceID},
		{`"pciBusID":"0000:03:00.3","runtimeConfig":{"CNIDeviceInfoFile":"/var/run/k8s.cni.cncf.io/devinfo/x.json"}`, "0000:03:00.3", SourcePCIBusID},
		{`"runtimeConfig":{"CNIDeviceInfoFile":"/var/run/k8s.cni.cncf.io/devinfo/x.json"}`, "", ""},
	} {
		c, err := Parse([]byte(`{"cniVersion":"1.0.0",` + tc.json + `}`))
		if err != nil {
			t.Fatal(err)
		}
		pci, src, err := c.DeviceID()
		if err != nil || pci != tc.pci || src != tc.src {
			t.Errorf("%s: got %q %q %v, want %q %q", tc.json, pci, src, err, tc.pci, tc.src)
		}
	}
	// A set but invalid higher-precedence value does not fall through.
	c, _ := Parse([]byte(`{"cniVersion":"1.0.0","runtimeConfig":{"deviceID":"eth0"},"deviceID":"0000:03:00.2"}`))
	if _, _, err := c.DeviceID(); err == nil || !strings.Contains(err.Error(), `"eth0"`) ||
		!strings.Contains(err.Error(), SourceRuntimeConfig) {
		t.Errorf("invalid runtimeConfig.deviceID: got %v", err)
	}
}
