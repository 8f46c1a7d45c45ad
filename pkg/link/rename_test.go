package link

import (
	"fmt"
	"net"
	"testing"

	"github.com/containernetworking/plugins/pkg/ns"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/vf-offload/vf-offload/pkg/roottest"
)

// TestRenameLive: the link gets its new name and stays up where the kernel
// allows a live rename (6.2 and later); an older kernel makes it go down
// first. Either way a clash leaves it as it was.
func TestRenameLive(t *testing.T) {
	roottest.Root(t, "creating network namespaces")
	n := newNS(t)
	veth(t, n, "rla", "rlb")
	veth(t, n, "rlc", "rld")
	live := liveRenameKernel(t)
	err := n.Do(func(ns.NetNS) error {
		if err := RenameLive("rla", "rlx"); err != nil {
			t.Fatalf("RenameLive: %v", err)
		}
		l, err := netlink.LinkByName("rlx")
		if err != nil {
			t.Fatalf("renamed link: %v", err)
		}
		up := l.Attrs().Flags&net.FlagUp != 0
		if up != live {
			t.Errorf("rlx up=%v after the rename; want %v (kernel allows live renames: %v)", up, live, live)
		}
		if err := RenameLive("rlx", "rlc"); err == nil {
			t.Fatal("renaming onto an existing name succeeded")
		}
		l, err = netlink.LinkByName("rlx")
		if err != nil {
			t.Fatalf("after a refused rename: %v", err)
		}
		if after := l.Attrs().Flags&net.FlagUp != 0; after != up {
			t.Errorf("a refused rename changed the up flag of rlx: %v, was %v", after, up)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// liveRenameKernel reports whether the running kernel is 6.2 or later.
func liveRenameKernel(t *testing.T) bool {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Fatal(err)
	}
	var major, minor int
	if _, err := fmt.Sscanf(unix.ByteSliceToString(u.Release[:]), "%d.%d", &major, &minor); err != nil {
		t.Fatalf("kernel release %q: %v", u.Release, err)
	}
	return major > 6 || major == 6 && minor >= 2
}

// TestSetAttrsKeepsUpFlag: SetAttrs gives MAC, MTU and alias and leaves the
// up flag alone, where Restore sets it too.
func TestSetAttrsKeepsUpFlag(t *testing.T) {
	roottest.Root(t, "creating network namespaces")
	n := newNS(t)
	veth(t, n, "saa", "sab")
	err := n.Do(func(ns.NetNS) error {
		want := State{MAC: "02:00:00:00:5a:01", MTU: 1280, Alias: "home"}
		if err := SetAttrs("saa", want); err != nil {
			t.Fatalf("SetAttrs: %v", err)
		}
		_, got, err := Get("saa")
		if err != nil {
			t.Fatal(err)
		}
		if got.MAC != want.MAC || got.MTU != want.MTU || got.Alias != want.Alias || !got.Up {
			t.Errorf("after SetAttrs: %+v; want MAC, MTU, alias of %+v and still up", got, want)
		}
		if err := Restore("saa", want); err != nil {
			t.Fatalf("Restore: %v", err)
		}
		if _, got, _ = Get("saa"); got.Up {
			t.Error("Restore with Up false left saa up")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
