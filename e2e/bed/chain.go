package bed

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/types"
)

// Conflist is a CNI network configuration list under construction.
type Conflist struct {
	Name       string
	CNIVersion string
	Plugins    []map[string]any
}

// Bytes renders the conflist as JSON.
func (c Conflist) Bytes() []byte {
	b, _ := json.MarshalIndent(map[string]any{"name": c.Name, "cniVersion": c.CNIVersion, "plugins": c.Plugins}, "", "  ")
	return b
}

// Clone deep-copies the conflist (the plugin maps are re-decoded from JSON).
func (c Conflist) Clone() Conflist {
	out := Conflist{Name: c.Name, CNIVersion: c.CNIVersion}
	for _, p := range c.Plugins {
		b, _ := json.Marshal(p)
		m := map[string]any{}
		_ = json.Unmarshal(b, &m)
		out.Plugins = append(out.Plugins, m)
	}
	return out
}

// KubeOVN is the stand-in's entry; offload turns on its own VF wiring.
func (b *Bed) KubeOVN(offload bool) map[string]any {
	return map[string]any{"type": "kube-ovn", "provider": "ovn", "ovsdb": b.OVS.DB, "bridge": b.OVS.Bridge,
		"gateway": "10.16.0.1", "mtu": 1400, "offload": offload, "stdinLog": filepath.Join(b.Dir, "kube-ovn-stdin.log")}
}

// VFOffload is vf-offload's entry, declaring the Multus capabilities.
func (b *Bed) VFOffload() map[string]any {
	return map[string]any{"type": "vf-offload", "capabilities": map[string]any{"deviceID": true, "CNIDeviceInfoFile": true},
		"bridge": b.OVS.Bridge, "ovsdb": b.OVS.DB, "stateDir": b.StateDir, "logFile": b.LogFile, "logLevel": "debug"}
}

// Portmap is the real portmap plugin's entry (no port mappings: it passes prevResult through).
func Portmap() map[string]any {
	return map[string]any{"type": "portmap", "capabilities": map[string]any{"portMappings": true}, "snat": true}
}

// ChainKubeOVN is [kube-ovn stand-in, portmap].
func (b *Bed) ChainKubeOVN(offload bool) Conflist {
	return Conflist{Name: "kube-ovn", CNIVersion: "1.1.0", Plugins: []map[string]any{b.KubeOVN(offload), Portmap()}}
}

// ChainFull is [kube-ovn stand-in, vf-offload, portmap].
func (b *Bed) ChainFull(offload bool) Conflist {
	return Conflist{Name: "kube-ovn", CNIVersion: "1.1.0", Plugins: []map[string]any{b.KubeOVN(offload), b.VFOffload(), Portmap()}}
}

// Multus does what Multus >= v3.7 does for a VF allocated by the SR-IOV
// device plugin: it writes top-level deviceID and pciBusID into every
// plugin entry, writes a device-info file, and returns the capability args
// (deviceID, CNIDeviceInfoFile) that libcni hands to plugins declaring them.
func (b *Bed) Multus(c Conflist, pci string) (Conflist, map[string]any, error) {
	out := c.Clone()
	for _, p := range out.Plugins {
		p["deviceID"] = pci
		p["pciBusID"] = pci
	}
	dir := filepath.Join(b.Dir, "devinfo")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return out, nil, fmt.Errorf("device-info dir: %w", err)
	}
	file := filepath.Join(dir, strings.ReplaceAll(pci, ":", "_")+".json")
	info := fmt.Sprintf(`{"type":"pci","version":"1.1.0","pci":{"pci-address":%q}}`, pci)
	if err := os.WriteFile(file, []byte(info), 0o644); err != nil {
		return out, nil, fmt.Errorf("device-info file for %s: %w", pci, err)
	}
	return out, map[string]any{"deviceID": pci, "CNIDeviceInfoFile": file}, nil
}

func (b *Bed) cni() *libcni.CNIConfig {
	return libcni.NewCNIConfigWithCacheDir([]string{b.CNIPath}, b.CacheDir, nil)
}

func (b *Bed) prepare(c Conflist, p *Pod, ifname string, caps map[string]any) (*libcni.NetworkConfigList, *libcni.RuntimeConf, error) {
	list, err := libcni.ConfListFromBytes(c.Bytes())
	if err != nil {
		return nil, nil, fmt.Errorf("conflist %s: %w", c.Name, err)
	}
	rt := &libcni.RuntimeConf{ContainerID: p.ContainerID, NetNS: p.Netns, IfName: ifname, Args: p.CNIArgs(), CapabilityArgs: caps}
	return list, rt, nil
}

// Add runs ADD of the chain for pod/ifname through libcni.
func (b *Bed) Add(ctx context.Context, c Conflist, p *Pod, ifname string, caps map[string]any) (types.Result, error) {
	list, rt, err := b.prepare(c, p, ifname, caps)
	if err != nil {
		return nil, err
	}
	res, err := b.cni().AddNetworkList(ctx, list, rt)
	if err != nil {
		return nil, fmt.Errorf("ADD %s for pod %s/%s: %w", c.Name, p.Name, ifname, err)
	}
	return res, nil
}

// Del runs DEL of the chain (libcni passes the cached result as prevResult).
func (b *Bed) Del(ctx context.Context, c Conflist, p *Pod, ifname string, caps map[string]any) error {
	list, rt, err := b.prepare(c, p, ifname, caps)
	if err != nil {
		return err
	}
	if err := b.cni().DelNetworkList(ctx, list, rt); err != nil {
		return fmt.Errorf("DEL %s for pod %s/%s: %w", c.Name, p.Name, ifname, err)
	}
	return nil
}

// Check runs CHECK of the chain.
func (b *Bed) Check(ctx context.Context, c Conflist, p *Pod, ifname string, caps map[string]any) error {
	list, rt, err := b.prepare(c, p, ifname, caps)
	if err != nil {
		return err
	}
	if err := b.cni().CheckNetworkList(ctx, list, rt); err != nil {
		return fmt.Errorf("CHECK %s for pod %s/%s: %w", c.Name, p.Name, ifname, err)
	}
	return nil
}

// Status runs STATUS of the chain (needs cniVersion >= 1.1.0 to reach the plugins).
func (b *Bed) Status(ctx context.Context, c Conflist) error {
	list, err := libcni.ConfListFromBytes(c.Bytes())
	if err != nil {
		return fmt.Errorf("conflist %s: %w", c.Name, err)
	}
	if err := b.cni().GetStatusNetworkList(ctx, list); err != nil {
		return fmt.Errorf("STATUS %s: %w", c.Name, err)
	}
	return nil
}

// GC runs GC of the chain with the given still-valid attachments.
func (b *Bed) GC(ctx context.Context, c Conflist, valid ...types.GCAttachment) error {
	list, err := libcni.ConfListFromBytes(c.Bytes())
	if err != nil {
		return fmt.Errorf("conflist %s: %w", c.Name, err)
	}
	if err := b.cni().GCNetworkList(ctx, list, &libcni.GCArgs{ValidAttachments: valid}); err != nil {
		return fmt.Errorf("GC %s: %w", c.Name, err)
	}
	return nil
}

// Call is one recorded plugin invocation.
type Call struct {
	Plugin, Command string
	Stdin           map[string]any
}

// Calls returns the recorded invocations of plugin ("" = all) in order.
func (b *Bed) Calls(plugin string) ([]Call, error) {
	ents, err := os.ReadDir(b.CallsDir)
	if err != nil {
		return nil, fmt.Errorf("calls dir: %w", err)
	}
	names := []string{}
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	var calls []Call
	for _, n := range names {
		parts := strings.SplitN(strings.TrimSuffix(n, ".json"), "-", 2)
		if len(parts) != 2 {
			continue
		}
		i := strings.LastIndex(parts[1], "-")
		c := Call{Plugin: parts[1][:i], Command: parts[1][i+1:]}
		if plugin != "" && c.Plugin != plugin {
			continue
		}
		data, err := os.ReadFile(filepath.Join(b.CallsDir, n))
		if err != nil {
			return nil, fmt.Errorf("call %s: %w", n, err)
		}
		_ = json.Unmarshal(data, &c.Stdin)
		calls = append(calls, c)
	}
	return calls, nil
}
