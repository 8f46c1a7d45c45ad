package nic

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

// shq quotes s for /bin/sh.
func shq(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// innerScript runs in the private mount namespace: it hides the bind
// mounts from the host (rprivate /sys; /run/netns keeps its propagation),
// puts the FUSE tree over the PCI and net sysfs dirs and execs "$0" "$@".
func (n *NIC) innerScript() string {
	m := shq(n.tools.mount)
	b := func(src, dst string) string {
		return fmt.Sprintf("%s --bind %s %s", m, shq(filepath.Join(n.SysfsDir, src)), dst)
	}
	return strings.Join([]string{
		"set -e",
		m + " --make-rprivate /sys",
		b("devices", "/sys/bus/pci/devices"),
		b("drivers", "/sys/bus/pci/drivers"),
		b("net", "/sys/class/net"),
		`exec "$0" "$@"`,
	}, "\n")
}

// prefix is the argv that runs the rest of argv inside the bed: node netns
// plus a private mount namespace with the fake sysfs.
func (n *NIC) prefix() []string {
	return []string{n.tools.nsenter, "--net=" + n.NodeNS, n.tools.unshare, "-m",
		"--propagation", "unchanged", n.tools.sh, "-c", n.innerScript()}
}

// WrapperScript returns a /bin/sh script that runs realBinary with the
// script's arguments, stdin, environment and exit code inside the bed (node
// netns, fake sysfs over /sys/bus/pci/devices, /sys/bus/pci/drivers and
// /sys/class/net). Write it to a file with mode 0755.
func (n *NIC) WrapperScript(realBinary string) string {
	q := make([]string, 0, 12)
	for _, a := range n.prefix() {
		q = append(q, shq(a))
	}
	return "#!/bin/sh\n# vf-offload e2e: run " + realBinary + " inside emulated NIC " + n.ID +
		"\nexec " + strings.Join(q, " ") + " " + shq(realBinary) + " \"$@\"\n"
}

// Command returns a command that runs bin with args inside the bed.
func (n *NIC) Command(bin string, args ...string) *exec.Cmd {
	p := n.prefix()
	return exec.Command(p[0], append(append(p[1:], bin), args...)...)
}
