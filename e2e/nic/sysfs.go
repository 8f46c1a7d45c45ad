package nic

import (
	"context"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
	"golang.org/x/sys/unix"
)

// vnode is a node of the FUSE file system; it only knows its path and
// recomputes everything else from netlink on each request.
type vnode struct {
	fs.Inode
	nic  *NIC
	path []string
}

var (
	_ fs.NodeLookuper   = (*vnode)(nil)
	_ fs.NodeReaddirer  = (*vnode)(nil)
	_ fs.NodeGetattrer  = (*vnode)(nil)
	_ fs.NodeReadlinker = (*vnode)(nil)
	_ fs.NodeOpener     = (*vnode)(nil)
	_ fs.NodeReader     = (*vnode)(nil)
)

func mode(e ent) uint32 {
	switch e.kind {
	case kDir:
		return fuse.S_IFDIR | 0o755
	case kLink:
		return fuse.S_IFLNK | 0o777
	}
	if e.rw {
		return fuse.S_IFREG | 0o644
	}
	return fuse.S_IFREG | 0o444
}

func ino(path []string, k kind) uint64 {
	h := fnv.New64a()
	h.Write([]byte(strings.Join(path, "/")))
	h.Write([]byte{0, byte(k)})
	return h.Sum64() | 1<<63 // never 0 or 1 (root)
}

func fill(a *fuse.Attr, e ent) {
	a.Mode = mode(e)
	a.Nlink = 1
	switch e.kind {
	case kFile:
		a.Size = uint64(len(e.content))
	case kLink:
		a.Size = uint64(len(e.target))
	}
}

// current resolves this node's entry against a fresh snapshot.
func (v *vnode) current() (ent, syscall.Errno) {
	v.nic.requests.Add(1)
	s, err := v.nic.snapshot()
	if err != nil {
		return ent{}, syscall.EIO
	}
	e, ok := v.nic.lookup(s, v.path)
	if !ok {
		return ent{}, syscall.ENOENT
	}
	return e, 0
}

func (v *vnode) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	p := append(append([]string(nil), v.path...), name)
	v.nic.requests.Add(1)
	s, err := v.nic.snapshot()
	if err != nil {
		return nil, syscall.EIO
	}
	e, ok := v.nic.lookup(s, p)
	if !ok {
		return nil, syscall.ENOENT
	}
	fill(&out.Attr, e)
	ch := &vnode{nic: v.nic, path: p}
	return v.NewInode(ctx, ch, fs.StableAttr{Mode: mode(e) &^ 0o7777, Ino: ino(p, e.kind)}), 0
}

func (v *vnode) Readdir(ctx context.Context) (fs.DirStream, syscall.Errno) {
	v.nic.requests.Add(1)
	s, err := v.nic.snapshot()
	if err != nil {
		return nil, syscall.EIO
	}
	m, ok := v.nic.children(s, v.path)
	if !ok {
		return nil, syscall.ENOTDIR
	}
	list := make([]fuse.DirEntry, 0, len(m))
	for name, e := range m {
		p := append(append([]string(nil), v.path...), name)
		list = append(list, fuse.DirEntry{Name: name, Mode: mode(e) &^ 0o7777, Ino: ino(p, e.kind)})
	}
	return fs.NewListDirStream(list), 0
}

func (v *vnode) Getattr(ctx context.Context, f fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	e, errno := v.current()
	if errno != 0 {
		return errno
	}
	fill(&out.Attr, e)
	return 0
}

func (v *vnode) Readlink(ctx context.Context) ([]byte, syscall.Errno) {
	e, errno := v.current()
	if errno != 0 {
		return nil, errno
	}
	if e.kind != kLink {
		return nil, syscall.EINVAL
	}
	return []byte(e.target), 0
}

func (v *vnode) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	if flags&(syscall.O_WRONLY|syscall.O_RDWR) != 0 {
		if e, errno := v.current(); errno != 0 || !e.rw {
			return nil, 0, syscall.EACCES
		}
	}
	return nil, fuse.FOPEN_DIRECT_IO, 0
}

func (v *vnode) Read(ctx context.Context, f fs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	e, errno := v.current()
	if errno != 0 {
		return nil, errno
	}
	if e.kind != kFile {
		return nil, syscall.EISDIR
	}
	c := e.content
	if off >= int64(len(c)) {
		return fuse.ReadResultData(nil), 0
	}
	c = c[off:]
	if len(c) > len(dest) {
		c = c[:len(dest)]
	}
	return fuse.ReadResultData([]byte(c)), 0
}

// mount serves the tree at n.SysfsDir (no caching: every lookup is live).
func (n *NIC) mount() error {
	if err := os.MkdirAll(n.SysfsDir, 0o755); err != nil {
		return fmt.Errorf("mkdir %s: %w", n.SysfsDir, err)
	}
	zero := time.Duration(0)
	srv, err := fs.Mount(n.SysfsDir, &vnode{nic: n}, &fs.Options{
		EntryTimeout: &zero, AttrTimeout: &zero, NegativeTimeout: &zero,
		MountOptions: fuse.MountOptions{
			DirectMountStrict: true, AllowOther: true,
			// sysfs lists a directory in one call; READDIRPLUS would make
			// the kernel look up every entry as well.
			DisableReadDirPlus: true,
			FsName:             "vfo-sysfs-" + n.ID, Name: "vfosysfs",
		},
	})
	if err != nil {
		os.Remove(n.SysfsDir)
		return fmt.Errorf("mount FUSE sysfs at %s: %w", n.SysfsDir, err)
	}
	n.server = srv
	var st unix.Stat_t
	if err := unix.Stat(n.SysfsDir, &st); err == nil {
		n.fuseID = st.Dev
	}
	return nil
}

// unmount unmounts the FUSE file system. If a bind mount of it survives in
// some other mount namespace the connection stays alive; then it is aborted
// through fusectl so that the server goroutines end.
func (n *NIC) unmount() error {
	if n.server == nil {
		return nil
	}
	srv := n.server
	n.server = nil
	done := make(chan error, 1)
	go func() { done <- srv.Unmount() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(time.Second):
		n.abortFuse()
		select {
		case err = <-done:
		case <-time.After(5 * time.Second):
			err = fmt.Errorf("FUSE server of %s did not stop", n.SysfsDir)
		}
	}
	if err != nil {
		_ = unix.Unmount(n.SysfsDir, unix.MNT_DETACH)
		n.abortFuse()
		return fmt.Errorf("unmount %s: %w", n.SysfsDir, err)
	}
	if rerr := os.Remove(n.SysfsDir); rerr != nil && !os.IsNotExist(rerr) {
		return fmt.Errorf("remove %s: %w", n.SysfsDir, rerr)
	}
	return nil
}

func (n *NIC) abortFuse() {
	if n.fuseID == 0 {
		return
	}
	ctl := filepath.Join(filepath.Dir(n.SysfsDir), "fusectl")
	if err := os.MkdirAll(ctl, 0o700); err != nil {
		return
	}
	defer os.Remove(ctl)
	if err := unix.Mount("fusectl", ctl, "fusectl", 0, ""); err != nil {
		return
	}
	defer unix.Unmount(ctl, unix.MNT_DETACH)
	_ = os.WriteFile(filepath.Join(ctl, fmt.Sprint(unix.Minor(n.fuseID)), "abort"), []byte("1"), 0)
}
