// Package nic emulates a switchdev SR-IOV NIC (Agilio/nfp or ConnectX-5/
// mlx5 profile) inside a "node" network namespace, so that the unmodified
// vf-offload plugin, which finds devices with sriovnet, sees a real NIC.
//
// Every VF and its representor are the two ends of a veth pair; the uplink
// representor (phys_port_name p0) is a veth whose peer, the "wire", is a
// plain netdev in the node netns; on the Agilio profile the PF also has its
// own netdev without phys_port_name (nfp flower), with a plain peer too.
// Every emulated netdev carries an altname "vfo<ID>-<role>" (vf<N>, rep<N>,
// up, wire, pf, pfx), which follows it across renames and netns moves.
//
// A FUSE file system at <dir>/sysfs (devices/, net/, drivers/) computes
// every answer at lookup time (no kernel caching) from a view of the node
// netns's links that the kernel's link notifications keep current (see
// view.go), so it is as live as the real sysfs: a VF in a pod netns is not
// listed under its PCI device's net/, a renamed representor shows under its
// new name, as soon as the call that did it has returned. Commands
// run "inside the bed" (Command, WrapperScript) enter the node netns and
// the NIC's private mount namespace, made once by Start (mntns.go), where
// these dirs are bind-mounted over /sys/bus/pci/devices,
// /sys/bus/pci/drivers and /sys/class/net.
//
// Where the emulation differs from hardware:
//
//   - Deleting a pod netns destroys a veth "VF" together with its
//     representor; a real VF returns to the host netns (as eth0, or
//     dev<ifindex> on a name clash). DestroyNetns emulates that by
//     re-creating the pair; anything else that deletes the netns (e.g.
//     `ip netns del` by the code under test) loses the VF and representor.
//     A re-created representor is a new netdev: OVS sees a port vanish and
//     come back, and its ifindex changes.
//   - The fake sysfs only covers what sriovnet and the plugin read:
//     PCI ids, sriov_totalvfs/numvfs, physfn/virtfnN, driver, net/ with
//     ifindex, iflink, address, mtu, operstate, ifalias, type, subsystem,
//     device, phys_port_name and phys_switch_id. The PF's sriov_numvfs
//     takes writes with the kernel's rules (numvfs.go): VF netdevs and
//     representors appear or go at once, where hardware takes a moment
//     and udev may rename them; every other write (bind/unbind, any other
//     file) is refused. Non-emulated links appear as plain
//     directories under class/net, not as symlinks into /sys/devices.
//     Real PCI drivers appear as empty directories. VF netdevs have no
//     phys_port_name file at all (on hardware reading it fails).
//   - No devlink (sriovnet falls back to sysfs), no PF-side VF control: a
//     veth "PF" has no IFLA_VFINFO_LIST, so setting a VF's MAC, VLAN or
//     trust through the PF fails with EOPNOTSUPP; no eswitch mode, no TC
//     flower, no hardware offload.
//   - `ip netns exec` remounts /sys and so hides the fake tree; use
//     nsenter --net= inside the bed.
//   - The sysfs is served by goroutines of the process that called Start;
//     it stops answering when that process exits or Close is called.
package nic
