package link

import (
	"net"
	"runtime"
	"strings"
	"testing"

	"github.com/containernetworking/plugins/pkg/ns"
	"github.com/containernetworking/plugins/pkg/testutils"
	"github.com/vishvananda/netlink"

	"github.com/vf-offload/vf-offload/pkg/roottest"
)

// newNS returns a fresh netns, closed and unmounted at the end of the test.
func newNS(t *testing.T) ns.NetNS {
	t.Helper()
	n, err := testutils.NewNS()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close(); _ = testutils.UnmountNS(n) })
	return n
}

// names lists the links of n other than lo.
func names(t *testing.T, n ns.NetNS) string {
	t.Helper()
	var out []string
	_ = n.Do(func(ns.NetNS) error {
		ls, err := netlink.LinkList()
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range ls {
			if l.Attrs().Name != "lo" {
				out = append(out, l.Attrs().Name)
			}
		}
		return nil
	})
	return strings.Join(out, ",")
}

// veth creates a veth pair a/b in n, a up.
func veth(t *testing.T, n ns.NetNS, a, b string) {
	t.Helper()
	err := n.Do(func(ns.NetNS) error {
		la := netlink.NewLinkAttrs()
		la.Name = a
		if err := netlink.LinkAdd(&netlink.Veth{LinkAttrs: la, PeerName: b}); err != nil {
			return err
		}
		return SetUp(a, true)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestMove(t *testing.T) {
	roottest.Root(t, "creating network namespaces")
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	t.Run("renamed in the target", func(t *testing.T) {
		src, dst := newNS(t), newNS(t)
		veth(t, src, "vfa", "vfb")
		if err := src.Do(func(ns.NetNS) error {
			l, err := netlink.LinkByName("vfa")
			if err != nil {
				return err
			}
			a, _ := netlink.ParseAddr("10.9.8.7/24")
			return netlink.AddrAdd(l, a)
		}); err != nil {
			t.Fatal(err)
		}
		if err := Move(src, "vfa", dst, "eth0"); err != nil {
			t.Fatal(err)
		}
		if got := names(t, src); got != "vfb" {
			t.Errorf("src holds %q, want only vfb", got)
		}
		if got := names(t, dst); got != "eth0" {
			t.Errorf("dst holds %q, want eth0", got)
		}
		// The link was up with an address: it arrives down, without it.
		_ = dst.Do(func(ns.NetNS) error {
			l, err := netlink.LinkByName("eth0")
			if err != nil {
				t.Fatal(err)
			}
			if l.Attrs().Flags&net.FlagUp != 0 {
				t.Errorf("eth0 arrived up in dst")
			}
			if addrs, _ := netlink.AddrList(l, netlink.FAMILY_V4); len(addrs) != 0 {
				t.Errorf("eth0 arrived with addresses %v", addrs)
			}
			return nil
		})
	})
	t.Run("own name taken in the target", func(t *testing.T) {
		src, dst := newNS(t), newNS(t)
		veth(t, src, "vfa", "vfb")
		veth(t, dst, "vfa", "other")
		if err := Move(src, "vfa", dst, "eth0"); err != nil {
			t.Fatal(err)
		}
		if got := names(t, dst); !strings.Contains(got, "eth0") || strings.Count(got, "vfa") != 1 {
			t.Errorf("dst holds %q, want its vfa, other and the moved eth0", got)
		}
	})
	t.Run("new name taken in the target", func(t *testing.T) {
		src, dst := newNS(t), newNS(t)
		veth(t, src, "vfa", "vfb")
		veth(t, dst, "eth0", "peer0")
		err := Move(src, "vfa", dst, "eth0")
		if err == nil || !strings.Contains(err.Error(), "vfa") {
			t.Fatalf("want an error naming vfa, got %v", err)
		}
		if got := names(t, src); !strings.Contains(got, "vfa") {
			t.Errorf("vfa left src: src holds %q", got)
		}
		if got := names(t, dst); strings.Contains(got, "vfa") {
			t.Errorf("dst holds %q after a failed move", got)
		}
	})
	t.Run("no such link", func(t *testing.T) {
		src, dst := newNS(t), newNS(t)
		if err := Move(src, "nosuch0", dst, "eth0"); err == nil || !strings.Contains(err.Error(), "nosuch0") {
			t.Fatalf("want an error naming nosuch0, got %v", err)
		}
	})
}
