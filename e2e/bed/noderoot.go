package bed

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/vf-offload/vf-offload/e2e/nic"
)

// nodeRoot makes RootDir and returns the bind mounts of Options.NodeRoot.
func (b *Bed) nodeRoot() ([]nic.Bind, error) {
	b.RootDir = filepath.Join(b.Dir, "root")
	binds := []nic.Bind{
		{Src: filepath.Join(b.RootDir, "var", "lib"), Dst: "/var/lib"},
		{Src: filepath.Join(b.RootDir, "var", "log"), Dst: "/var/log"},
		{Src: filepath.Join(b.RootDir, "etc", "openvswitch"), Dst: "/etc/openvswitch"},
		{Src: b.OVS.RunDir, Dst: "/run/openvswitch"},
		// device-info files (device plugin's dp/, Multus' cni/)
		{Src: filepath.Join(b.RootDir, "run", "k8s.cni.cncf.io"), Dst: "/run/k8s.cni.cncf.io"},
	}
	for _, x := range binds {
		if err := os.MkdirAll(x.Src, 0o755); err != nil {
			return nil, fmt.Errorf("node root %s: %w", x.Src, err)
		}
		// The mount points exist on any node with Open vSwitch installed,
		// but those under /run only once a service made them: make them
		// as it would (tmpfs directories, left empty on the test machine).
		if _, err := os.Stat(x.Dst); os.IsNotExist(err) && strings.HasPrefix(x.Dst, "/run/") {
			if err := os.MkdirAll(x.Dst, 0o755); err != nil {
				return nil, fmt.Errorf("mount point %s: %w", x.Dst, err)
			}
		} else if err != nil {
			return nil, fmt.Errorf("mount point %s: %w", x.Dst, err)
		}
	}
	return binds, nil
}

// NodePath is the test machine's path of a node path under Options.NodeRoot
// ("/var/lib/kubelet" -> RootDir/var/lib/kubelet).
func (b *Bed) NodePath(p string) string {
	if b.RootDir == "" {
		return p
	}
	if rest, ok := strings.CutPrefix(p, "/var/run/"); ok {
		p = "/run/" + rest
	}
	if rest, ok := strings.CutPrefix(p, "/run/openvswitch"); ok {
		return b.OVS.RunDir + rest
	}
	return filepath.Join(b.RootDir, p)
}
