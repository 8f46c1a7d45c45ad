package realkubeovn

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vf-offload/vf-offload/e2e/bed"
)

// TestBinderMarksBoundInterfaces: the ovn-controller stand-in sets
// ovn-installed=true on an open interface with an iface-id, and on no other.
func TestBinderMarksBoundInterfaces(t *testing.T) {
	b := bed.New(t, bed.Options{})
	bd, err := StartBinder(context.Background(), b.OVS.DB)
	if err != nil {
		t.Fatal(err)
	}
	defer bd.Close()
	for _, s := range [][]string{{"ip", "link", "add", "bound0", "type", "veth", "peer", "name", "bound0p"},
		{"ip", "link", "add", "plain0", "type", "veth", "peer", "name", "plain0p"}} {
		if _, err := b.Node(s[0], s[1:]...); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.OVS.Vsctl("add-port", "br-int", "bound0", "--", "set", "interface", "bound0", "external_ids:iface-id=p.default",
		"--", "add-port", "br-int", "plain0"); err != nil {
		t.Fatal(err)
	}
	get := func(name string) string {
		out, _ := b.OVS.Vsctl("--if-exists", "get", "interface", name, "external_ids:ovn-installed")
		return strings.Trim(strings.TrimSpace(out), `"`)
	}
	deadline := time.Now().Add(5 * time.Second)
	for get("bound0") != "true" && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if got := get("bound0"); got != "true" {
		t.Fatalf("bound0 ovn-installed = %q, want true (bound %v, errors %v)", got, bd.Bound, bd.Errs)
	}
	if got := get("plain0"); got != "" {
		t.Errorf("plain0 (no iface-id) ovn-installed = %q, want unset", got)
	}
}
