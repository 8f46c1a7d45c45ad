package offload_test

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/vf-offload/vf-offload/e2e/bed"
	"github.com/vf-offload/vf-offload/e2e/nic"
	"github.com/vf-offload/vf-offload/pkg/kubeovn"
)

// TestAlreadyOffloadedOnAnotherBridge: Kube-OVN wired the VF itself, but
// its port sits on another bridge than vf-offload's. ADD must refuse with an
// error naming the bridge and change nothing: the check that the bridge
// holds the port is part of the transaction that adds vf-offload's markers.
func TestAlreadyOffloadedOnAnotherBridge(t *testing.T) {
	e := newEnv(t, nic.Agilio(), 1)
	p := e.pod("a")
	pci := e.b.NIC.VFs[0].PCI
	kc, _, err := e.b.Multus(e.b.ChainKubeOVN(true), pci) // the stand-in gets the device ID and wires the VF
	if err != nil {
		t.Fatal(err)
	}
	prev, err := e.b.Add(e.ctx, kc, p, "eth0", nil)
	if err != nil {
		t.Fatal(err)
	}
	port := kubeovn.PortName(p.ContainerID, "eth0")
	uuid := e.vsctl("get", "port", port, "_uuid")
	// The same Port and Interface rows, now held by br-other.
	e.vsctl("add-br", "br-other", "--", "set", "bridge", "br-other", "datapath_type=netdev")
	e.vsctl("remove", "bridge", e.b.OVS.Bridge, "ports", uuid, "--", "add", "bridge", "br-other", "ports", uuid)
	before := e.snapshot()

	c, caps := e.full(true, pci)
	conf := c.Plugins[1]
	var buf bytes.Buffer
	if err := prev.PrintTo(&buf); err != nil {
		t.Fatal(err)
	}
	conf["prevResult"] = json.RawMessage(buf.Bytes())
	alone := bed.Conflist{Name: c.Name, CNIVersion: c.CNIVersion, Plugins: []map[string]any{conf}}
	// ADD records the representor in the device-info file before it
	// learns from OVSDB that the port is elsewhere: the refusal must put
	// the file back, content and mode.
	info := caps["CNIDeviceInfoFile"].(string)
	if err := os.Chmod(info, 0o640); err != nil {
		t.Fatal(err)
	}
	infoBefore, err := os.ReadFile(info)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.b.Add(e.ctx, alone, p, "eth0", caps)
	if err == nil || !strings.Contains(err.Error(), "not a port of bridge "+e.b.OVS.Bridge) {
		t.Fatalf("want an error saying the representor is not a port of bridge %s, got %v", e.b.OVS.Bridge, err)
	}
	e.assertSame("ADD refused for a port on another bridge", before)
	if got, err := os.ReadFile(info); err != nil || !bytes.Equal(got, infoBefore) {
		t.Errorf("device-info file after the refused ADD = %q (%v), want it as before: %q", got, err, infoBefore)
	}
	if fi, err := os.Stat(info); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("device-info file mode after the refused ADD: %v (%v), want -rw-r-----", fi.Mode(), err)
	}
	if ids := e.vsctl("get", "interface", port, "external_ids"); strings.Contains(ids, "vf-offload") {
		t.Errorf("markers added to a port of another bridge: %s", ids)
	}

	e.vsctl("remove", "bridge", "br-other", "ports", uuid, "--", "add", "bridge", e.b.OVS.Bridge, "ports", uuid)
	if err := e.b.Del(e.ctx, kc, p, "eth0", nil); err != nil {
		t.Fatal(err)
	}
	e.vsctl("del-br", "br-other")
}
