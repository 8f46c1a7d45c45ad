package nic

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// The PF's sriov_numvfs accepts writes the way the kernel's
// sriov_numvfs_store does (drivers/pci/iov.c):
//
//   - the value is parsed as a u16 (decimal, 0x.. or 0..; one trailing
//     newline allowed): anything else is EINVAL, above 65535 ERANGE;
//   - above sriov_totalvfs: ERANGE;
//   - the current count: nothing happens;
//   - 0: every VF goes away, with its representor, wherever the VF is;
//   - another non-zero count while VFs exist: EBUSY (write 0 first);
//   - N from 0: VFs 0..N-1 appear in the node netns, VF netdevs and their
//     representors down, as on hardware.
//
// Every other file stays read-only.

var (
	_ fs.NodeWriter    = (*vnode)(nil)
	_ fs.NodeSetattrer = (*vnode)(nil)
)

// Write handles a write to a writable file (only the PF's sriov_numvfs).
func (v *vnode) Write(ctx context.Context, f fs.FileHandle, data []byte, off int64) (uint32, syscall.Errno) {
	e, errno := v.current()
	if errno != 0 {
		return 0, errno
	}
	if !e.rw || len(v.path) != 3 || v.path[0] != "devices" || v.path[1] != v.nic.PFPCI || v.path[2] != "sriov_numvfs" {
		return 0, syscall.EACCES
	}
	want, errno := parseNumVFs(data)
	if errno != 0 {
		return 0, errno
	}
	if int(want) > v.nic.Profile.TotalVFs {
		return 0, syscall.ERANGE
	}
	if errno := v.nic.setNumVFs(int(want)); errno != 0 {
		return 0, errno
	}
	return uint32(len(data)), 0
}

// Setattr lets `echo N > sriov_numvfs` truncate the file first (a no-op,
// as on sysfs); any other attribute change is refused as before.
func (v *vnode) Setattr(ctx context.Context, f fs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	e, errno := v.current()
	if errno != 0 {
		return errno
	}
	if _, ok := in.GetSize(); !ok || !e.rw || in.Valid&^(fuse.FATTR_SIZE|fuse.FATTR_FH|fuse.FATTR_LOCKOWNER|fuse.FATTR_MTIME|fuse.FATTR_MTIME_NOW|fuse.FATTR_CTIME) != 0 {
		return syscall.ENOTSUP
	}
	fill(&out.Attr, e)
	return 0
}

// parseNumVFs parses a value like kstrtou16(buf, 0, ...).
func parseNumVFs(data []byte) (uint16, syscall.Errno) {
	s := strings.TrimPrefix(strings.TrimSuffix(string(data), "\n"), "+")
	if s == "" || strings.ContainsAny(s, "_-") {
		return 0, syscall.EINVAL
	}
	n, err := strconv.ParseUint(s, 0, 16)
	switch {
	case errors.Is(err, strconv.ErrRange):
		return 0, syscall.ERANGE
	case err != nil:
		return 0, syscall.EINVAL
	}
	return uint16(n), 0
}

// setNumVFs changes the number of VFs, with the kernel's rules.
func (n *NIC) setNumVFs(want int) syscall.Errno {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.h == nil {
		return syscall.ENODEV
	}
	have := len(n.VFs)
	switch {
	case want == have:
		return 0
	case want != 0 && have != 0:
		return syscall.EBUSY
	}
	if want == 0 {
		if err := n.removeVFs(); err != nil {
			return syscall.EIO
		}
		return 0
	}
	if err := n.addVFs(want); err != nil {
		_ = n.removeVFs() // as the kernel, leave no half-created VFs
		return syscall.EIO
	}
	return 0
}

// addVFs creates VFs 0..num-1 (VF netdev and representor, both down).
// Called by Start, and with n.mu held by setNumVFs.
func (n *NIC) addVFs(num int) error {
	defer func() { n.view.setVFs(n.VFs) }()
	p := n.Profile
	for i := 0; i < num; i++ {
		v := VF{Index: i, PCI: p.VFPCI(i), Netdev: p.VFNetdev(i), Rep: p.RepNetdev(i),
			VFMAC: n.mac(1, i).String(), RepMAC: n.mac(2, i).String()}
		if err := n.addPair(v.Netdev, roleVF+strconv.Itoa(i), n.mac(1, i), v.Rep, roleRep+strconv.Itoa(i), n.mac(2, i), false); err != nil {
			return fmt.Errorf("VF %d of %s: %w", i, n.PFPCI, err)
		}
		n.VFs = append(n.VFs, v)
	}
	return nil
}

// removeVFs deletes every VF pair of this NIC. Each pair's representor is
// in the node netns; deleting it destroys the VF end too, wherever that is
// (node or pod netns). Called with n.mu held.
func (n *NIC) removeVFs() error {
	links, err := n.h.LinkList()
	if err != nil {
		return fmt.Errorf("list links in %s: %w", n.NodeNS, err)
	}
	var errs []error
	for _, l := range links {
		r := n.role(l)
		if _, ok := vfIndex(r, roleRep); !ok {
			if _, ok := vfIndex(r, roleVF); !ok {
				continue
			}
		}
		if err := n.h.LinkDel(l); err != nil && !errors.Is(err, syscall.ENODEV) {
			errs = append(errs, fmt.Errorf("delete %s: %w", l.Attrs().Name, err))
		}
	}
	n.VFs = nil
	n.view.setVFs(nil)
	return errors.Join(errs...)
}
