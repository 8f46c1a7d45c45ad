package nic

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// The sysfs answers from a view of the node netns's links: a map by
// ifindex, filled by one full dump and then kept current from the kernel's
// RTNLGRP_LINK notifications (an RTM_NEWLINK carries every attribute of
// the link, an RTM_DELLINK its index: a deletion or a move out of the
// netns), drained at each request. The kernel queues a notification before
// the syscall that changed the link returns, so a process that renames,
// moves or deletes a link and then reads sysfs gets a fresh answer. On an
// overflow (ENOBUFS), anything unexpected on the socket, or a state no
// netns can be in (two links of one name), the view dumps all links again.
//
// The kernel does not notify everything: a new altname or ifalias on a
// link that is down, and a change of a link's iflink when its peer gets a
// new ifindex in another netns, come with no notification. So the NIC
// marks the links it tags with altnames for a re-read (reread), the view
// re-reads the links whose peer left or joined the netns, and the ifalias
// file is read from the kernel at each request (alias).

// view is the NIC's live link view. It has its own lock and netlink
// handle, so that FUSE requests never wait on NIC operations that hold
// NIC.mu for long (sriov_numvfs writes, DestroyNetns); and a request that
// finds no notification queued takes the current snapshot without the
// lock (see snapshot).
type view struct {
	snap     atomic.Pointer[snapshot]      // current; nil while it is being updated or must be rebuilt
	updating atomic.Pointer[chan struct{}] // closed when the running update ends
	fd       int                           // sock's, for the lock-free poll
	dumps    atomic.Int64                  // full link dumps, see SysfsDumps

	mu    sync.Mutex
	sock  *nl.NetlinkSocket          // RTNLGRP_LINK of the node netns; nil once closed
	h     *netlink.Handle            // dumps and single-link gets
	buf   []byte                     // receive buffer for sock
	links map[int]*netlink.LinkAttrs // by ifindex; nil: unknown, dump first
	vfs   []VF                       // the NIC's VFs; replaced, never changed in place
	dirty bool                       // links or vfs changed since snap was built
	stale []int                      // indexes to read again at the next update
}

// evBufSize is the notification socket's receive buffer: room for a
// burst's notifications (about 2 KiB each) between two requests; an
// overflow only costs a full dump.
const evBufSize = 4 << 20

// open subscribes to the link notifications of the netns nsh.
func (v *view) open(nsh netns.NsHandle) error {
	cur, err := netns.Get()
	if err != nil {
		return fmt.Errorf("current netns: %w", err)
	}
	defer cur.Close()
	v.sock, err = nl.SubscribeAt(nsh, cur, unix.NETLINK_ROUTE, unix.RTNLGRP_LINK)
	if err != nil {
		return fmt.Errorf("subscribe to link notifications: %w", err)
	}
	v.fd, v.buf = v.sock.GetFd(), make([]byte, 1<<16)
	if err := v.sock.SetReceiveBufferSize(evBufSize, true); err != nil {
		v.close()
		return fmt.Errorf("notification socket buffer: %w", err)
	}
	if v.h, err = netlink.NewHandleAt(nsh, unix.NETLINK_ROUTE); err != nil {
		v.close()
		return fmt.Errorf("netlink handle: %w", err)
	}
	return nil
}

func (v *view) close() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.sock != nil {
		v.sock.Close()
		v.sock = nil
	}
	if v.h != nil {
		v.h.Close()
		v.h = nil
	}
	v.links = nil
	v.snap.Store(nil)
}

// reread marks links changed with no notification: the next request
// reads them again.
func (v *view) reread(idx ...int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.stale = append(v.stale, idx...)
	v.snap.Store(nil)
}

// setVFs records the NIC's VFs (called with NIC.mu held).
func (v *view) setVFs(vfs []VF) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.vfs, v.dirty = append([]VF(nil), vfs...), true
	v.snap.Store(nil)
}

// snapshot returns the node's links as of now. The snapshot is never
// changed once returned: readers use it without the lock.
//
// With no notification queued, the current snapshot is fresh: a request
// that finds the socket empty and a snapshot set returns it without the
// lock. That is safe because whoever drains the socket first clears the
// snapshot, and sets one again only once it has applied what it read.
// Otherwise one request updates the view while the others wait for it to
// end, all woken at once, and look again.
func (n *NIC) snapshot() (*snapshot, error) {
	v := &n.view
	for {
		if !v.queued() {
			if s := v.snap.Load(); s != nil {
				return s, nil
			}
		}
		done := make(chan struct{})
		if !v.updating.CompareAndSwap(nil, &done) {
			if w := v.updating.Load(); w != nil {
				<-*w
			}
			continue
		}
		s, err := n.update()
		v.updating.Store(nil)
		close(done)
		return s, err
	}
}

// update brings the view up to date and returns its snapshot.
func (n *NIC) update() (*snapshot, error) {
	v := &n.view
	v.mu.Lock()
	defer v.mu.Unlock()
	s := v.snap.Swap(nil)
	if v.sock == nil {
		return nil, errors.New("nic closed")
	}
	// A link re-read by refresh can be newer than notifications still on
	// their way, and two links then share a name: apply those and retry,
	// then dump.
	for try := 0; ; try++ {
		if !v.drain() || try == 3 {
			if err := v.dump(); err != nil {
				return nil, fmt.Errorf("list links in %s: %w", n.NodeNS, err)
			}
		}
		if s != nil && !v.dirty {
			break
		}
		var ok bool
		if s, ok = n.build(v.links, v.vfs); ok || try == 3 {
			v.dirty = false
			break
		}
	}
	v.snap.Store(s)
	return s, nil
}

// queued tells whether a notification (or an error: overflow) waits on the
// socket.
func (v *view) queued() bool {
	fds := []unix.PollFd{{Fd: int32(v.fd), Events: unix.POLLIN}}
	n, err := unix.Poll(fds, 0)
	return err != nil || n != 0
}

// dump replaces the view with a full link dump. A dump races with link
// changes (pods being wired in parallel); the kernel then flags it
// interrupted and it must be redone.
func (v *view) dump() error {
	v.links, v.stale, v.dirty = nil, nil, true
	v.dumps.Add(1)
	links, err := v.h.LinkList()
	for i := 0; i < 50 && errors.Is(err, netlink.ErrDumpInterrupted); i++ {
		v.dumps.Add(1)
		links, err = v.h.LinkList()
	}
	if err != nil {
		return err
	}
	v.links = make(map[int]*netlink.LinkAttrs, len(links))
	for _, l := range links {
		v.links[l.Attrs().Index] = l.Attrs()
	}
	return nil
}

// drain drains the notification socket and applies what it read; false
// when the view must be dumped again (the socket is then empty).
func (v *view) drain() bool {
	ok := v.links != nil
	var moved []int // indexes that joined or left the netns
	for {
		n, from, err := unix.Recvfrom(v.sock.GetFd(), v.buf, unix.MSG_DONTWAIT|unix.MSG_TRUNC)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EAGAIN):
			return ok && v.refresh(moved)
		case errors.Is(err, unix.ENOBUFS): // overflow: notifications lost
			ok = false
			continue
		case err != nil:
			return false
		}
		if !ok {
			continue // a dump follows: drop what is queued
		}
		if sa, isNL := from.(*unix.SockaddrNetlink); !isNL || sa.Pid != 0 {
			continue // not from the kernel
		}
		// A parsed link keeps slices of the bytes it came from (its MAC):
		// parse a copy, as buf is reused.
		ok = n <= len(v.buf) && v.apply(append([]byte(nil), v.buf[:n]...), &moved)
	}
}

// apply applies the notifications of one datagram; false on doubt.
func (v *view) apply(b []byte, moved *[]int) bool {
	msgs, err := syscall.ParseNetlinkMessage(b)
	if err != nil {
		return false
	}
	for _, m := range msgs {
		if m.Header.Type != unix.RTM_NEWLINK && m.Header.Type != unix.RTM_DELLINK || len(m.Data) < unix.SizeofIfInfomsg {
			return false
		}
		info := nl.DeserializeIfInfomsg(m.Data)
		switch info.Family {
		case unix.AF_UNSPEC:
		case unix.AF_BRIDGE:
			continue // a bridge port's extra notice; the link has its own
		default:
			return false
		}
		idx := int(info.Index)
		v.dirty = true
		if m.Header.Type == unix.RTM_DELLINK {
			delete(v.links, idx)
			*moved = append(*moved, idx)
			continue
		}
		hdr := unix.NlMsghdr(m.Header)
		l, err := netlink.LinkDeserialize(&hdr, m.Data)
		if err != nil || l.Attrs().Index != idx || l.Attrs().Name == "" {
			return false
		}
		if _, known := v.links[idx]; !known {
			*moved = append(*moved, idx)
		}
		v.links[idx] = l.Attrs()
	}
	return true
}

// refresh re-reads the links marked stale and those whose iflink may have
// changed with no notification: a link names its peer (veth) or lower
// device by ifindex, and a link that leaves or joins the netns may get a
// new index on the way. So the links whose parent left or joined, and the
// parent of one that joined, are read again. False on doubt.
func (v *view) refresh(moved []int) bool {
	again := map[int]bool{}
	for _, i := range v.stale {
		again[i] = true
	}
	v.stale = nil
	if len(moved) > 0 {
		isMoved := make(map[int]bool, len(moved))
		for _, i := range moved {
			isMoved[i] = true
		}
		for idx, a := range v.links {
			if isMoved[a.ParentIndex] {
				again[idx] = true
			}
			if _, here := v.links[a.ParentIndex]; here && isMoved[idx] {
				again[a.ParentIndex] = true
			}
		}
	}
	for idx := range again {
		l, err := v.h.LinkByIndex(idx)
		var gone netlink.LinkNotFoundError
		switch {
		case errors.As(err, &gone):
			delete(v.links, idx) // its RTM_DELLINK is queued
		case err != nil || l.Attrs().Index != idx:
			return false
		default:
			v.links[idx] = l.Attrs()
		}
		v.dirty = true
	}
	return true
}

// alias reads the ifalias of the link d from the kernel; false if the link
// is gone or renamed since d was read.
func (v *view) alias(d *netdevInfo) (string, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.h == nil {
		return "", false
	}
	l, err := v.h.LinkByIndex(d.attrs.Index)
	if err != nil || l.Attrs().Name != d.attrs.Name {
		return "", false
	}
	return l.Attrs().Alias, true
}
