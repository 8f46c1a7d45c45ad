package nic

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// gone records a VF pair found in a pod netns about to be deleted.
type gone struct {
	idx           int
	vfName, alias string
	vfMAC         net.HardwareAddr
	vfMTU         int
	repName       string
	repMAC        net.HardwareAddr
	repMTU        int
	repUp         bool
}

// DestroyNetns emulates deleting a pod netns that holds emulated VFs:
// it deletes the netns as `ip netns del` does (which destroys the veth
// pairs) and re-creates each pair the way the kernel returns a real VF:
// the VF netdev in the node netns under the name it had in the pod, or
// "dev<ifindex>" when that name is taken, keeping MAC, MTU and ifalias; the
// representor under its current name, MAC, MTU and up state. It returns
// VF PCI -> name the VF came back as.
func (n *NIC) DestroyNetns(nsPath string) (map[string]string, error) {
	vfs, err := n.vfsIn(nsPath)
	if err != nil {
		return nil, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.h == nil {
		return nil, errors.New("nic closed")
	}
	for i := range vfs {
		if err := n.repInfo(&vfs[i]); err != nil {
			return nil, err
		}
	}
	if err := unix.Unmount(nsPath, unix.MNT_DETACH); err != nil {
		return nil, fmt.Errorf("unmount netns %s: %w", nsPath, err)
	}
	if err := os.Remove(nsPath); err != nil {
		return nil, fmt.Errorf("remove netns %s: %w", nsPath, err)
	}
	if err := n.waitGone(vfs); err != nil {
		return nil, err
	}
	back := map[string]string{}
	for _, g := range vfs {
		name, err := n.recreate(g)
		if err != nil {
			return back, err
		}
		back[n.VFs[g.idx].PCI] = name
	}
	return back, nil
}

// vfsIn lists this NIC's VF ends inside nsPath.
func (n *NIC) vfsIn(nsPath string) ([]gone, error) {
	ns, err := netns.GetFromPath(nsPath)
	if err != nil {
		return nil, fmt.Errorf("open netns %s: %w", nsPath, err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return nil, fmt.Errorf("netlink in %s: %w", nsPath, err)
	}
	defer h.Close()
	links, err := h.LinkList()
	if err != nil {
		return nil, fmt.Errorf("list links in %s: %w", nsPath, err)
	}
	var out []gone
	for _, l := range links {
		if i, ok := vfIndex(n.role(l), roleVF); ok && i < len(n.VFs) {
			a := l.Attrs()
			out = append(out, gone{idx: i, vfName: a.Name, alias: a.Alias, vfMAC: a.HardwareAddr, vfMTU: a.MTU})
		}
	}
	return out, nil
}

func (n *NIC) linkByRole(role string) (netlink.Link, error) {
	links, err := n.h.LinkList()
	if err != nil {
		return nil, fmt.Errorf("list links in %s: %w", n.NodeNS, err)
	}
	for _, l := range links {
		if n.role(l) == role {
			return l, nil
		}
	}
	return nil, nil
}

func (n *NIC) repInfo(g *gone) error {
	l, err := n.linkByRole(roleRep + strconv.Itoa(g.idx))
	if err != nil {
		return err
	}
	if l == nil {
		return fmt.Errorf("representor of VF %d (%s) not in node netns %s", g.idx, n.VFs[g.idx].Rep, n.NodeNS)
	}
	a := l.Attrs()
	g.repName, g.repMAC, g.repMTU, g.repUp = a.Name, a.HardwareAddr, a.MTU, a.Flags&net.FlagUp != 0
	return nil
}

// waitGone waits until the kernel has destroyed the pairs (netns cleanup
// runs asynchronously). Called with n.mu held; releases it while sleeping.
func (n *NIC) waitGone(vfs []gone) error {
	deadline := time.Now().Add(10 * time.Second)
	for _, g := range vfs {
		for {
			l, err := n.linkByRole(roleRep + strconv.Itoa(g.idx))
			if err != nil {
				return err
			}
			if l == nil {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("representor %s still present after its pod netns was deleted (netns still in use?)", g.repName)
			}
			// let other calls on the NIC run meanwhile
			n.mu.Unlock()
			time.Sleep(20 * time.Millisecond)
			n.mu.Lock()
			if n.h == nil {
				return errors.New("nic closed")
			}
		}
	}
	return nil
}

// recreate brings VF g back into the node netns with its representor.
func (n *NIC) recreate(g gone) (string, error) {
	tmp := "vfo" + n.ID + "t" + strconv.Itoa(g.idx)
	v := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: tmp, HardwareAddr: g.vfMAC, MTU: g.vfMTU},
		PeerName: g.repName, PeerHardwareAddr: g.repMAC, PeerMTU: uint32(g.repMTU)}
	if err := n.h.LinkAdd(v); err != nil {
		return "", fmt.Errorf("re-create VF %d pair %s/%s: %w", g.idx, g.vfName, g.repName, err)
	}
	vf, err := n.h.LinkByName(tmp)
	if err != nil {
		return "", fmt.Errorf("find re-created VF %d: %w", g.idx, err)
	}
	rep, err := n.h.LinkByName(g.repName)
	if err != nil {
		return "", fmt.Errorf("find re-created representor %s: %w", g.repName, err)
	}
	if err := n.h.LinkAddAltName(vf, n.alt(roleVF+strconv.Itoa(g.idx))); err != nil {
		return "", fmt.Errorf("altname on VF %s: %w", tmp, err)
	}
	if err := n.h.LinkAddAltName(rep, n.alt(roleRep+strconv.Itoa(g.idx))); err != nil {
		return "", fmt.Errorf("altname on representor %s: %w", g.repName, err)
	}
	if g.alias != "" {
		if err := n.h.LinkSetAlias(vf, g.alias); err != nil {
			return "", fmt.Errorf("ifalias on VF %s: %w", tmp, err)
		}
	}
	n.view.reread(vf.Attrs().Index, rep.Attrs().Index) // no notification if down
	name := g.vfName
	if _, err := n.h.LinkByName(name); err == nil {
		name = "dev" + strconv.Itoa(vf.Attrs().Index)
	}
	if err := n.h.LinkSetName(vf, name); err != nil {
		return "", fmt.Errorf("rename re-created VF %s to %s: %w", tmp, name, err)
	}
	if g.repUp {
		if err := n.h.LinkSetUp(rep); err != nil {
			return "", fmt.Errorf("set representor %s up: %w", g.repName, err)
		}
	}
	return name, nil
}
