package link

import (
	"fmt"
	"net"
	"os"
	"testing"

	"github.com/containernetworking/plugins/pkg/ns"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// TestRenameLive: the link gets its new name and stays up where the kernel
// allows a live rename (6.2 and later); an older kernel makes it go down
// first, and downed then says so. Either way a clash leaves it as it was.
func TestRenameLive(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces")
	}
	n := newNS(t)
	veth(t, n, "rla", "rlb")
	veth(t, n, "rlc", "rld")
	err := n.Do(func(ns.NetNS) error {
		downed, err := RenameLive("rla", "rlx")
		if err != nil {
			t.Fatalf("RenameLive: %v", err)
		}
		l, err := netlink.LinkByName("rlx")
		if err != nil {
			t.Fatalf("renamed link: %v", err)
		}
		up := l.Attrs().Flags&net.FlagUp != 0
		if up == downed {
			t.Errorf("rlx up=%v, downed=%v: want up exactly when not downed", up, downed)
		}
		if live := liveRenameKernel(t); live && downed {
			t.Error("kernel 6.2 or later, yet rlx was taken down to be renamed")
		}
		if _, err := RenameLive("rlx", "rlc"); err == nil {
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
