package bed

import (
	"crypto/rand"
	"fmt"
	"net"
	"os/exec"
	"strings"
)

// Pod is a pod sandbox: a netns plus the values Kubernetes and Kube-OVN
// would give it (container ID, IP, MAC).
type Pod struct {
	Name, Namespace string
	NetnsName       string     // vfo-<id>-<name>
	Netns           string     // /run/netns/vfo-<id>-<name>, the CNI_NETNS
	ContainerID     string     // 64 hex digits
	IP              *net.IPNet // in 10.16.0.0/16
	Gateway         net.IP     // 10.16.0.1
	MAC             net.HardwareAddr
	UID             string // the Pod object's UID where an API server holds one (K8S_POD_UID)
	bed             *Bed
	gone            bool
}

// AddPod creates a pod netns with a fresh container ID, IP and MAC.
func (b *Bed) AddPod(name, namespace string) (*Pod, error) {
	b.mu.Lock()
	n := len(b.pods) + 2
	b.mu.Unlock()
	mac := make(net.HardwareAddr, 6)
	_, _ = rand.Read(mac[3:])
	p := &Pod{Name: name, Namespace: namespace, NetnsName: netnsName(b.ID, name),
		ContainerID: randHex(32), MAC: mac, Gateway: net.IPv4(10, 16, 0, 1).To4(), bed: b,
		IP: &net.IPNet{IP: net.IPv4(10, 16, byte(n>>8), byte(n)).To4(), Mask: net.CIDRMask(16, 32)}}
	p.Netns = "/run/netns/" + p.NetnsName
	if err := addNetns(p.NetnsName); err != nil {
		return nil, fmt.Errorf("pod %s/%s: %w", namespace, name, err)
	}
	b.mu.Lock()
	b.pods = append(b.pods, p)
	b.mu.Unlock()
	return p, nil
}

// Pods returns the bed's live pods.
func (b *Bed) Pods() []*Pod {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]*Pod(nil), b.pods...)
}

// CNIArgs are the CNI_ARGS a kubelet plus the stand-in's IP/MAC keys give.
// A pod that is an API object (UID set) gets exactly the kubelet's keys:
// Multus refuses the stand-in's IP key, and the real Kube-OVN reads its
// addresses from the pod's annotations.
func (p *Pod) CNIArgs() [][2]string {
	args := [][2]string{{"IgnoreUnknown", "1"}, {"K8S_POD_NAMESPACE", p.Namespace}, {"K8S_POD_NAME", p.Name},
		{"K8S_POD_INFRA_CONTAINER_ID", p.ContainerID}}
	if p.UID != "" {
		return append(args, [2]string{"K8S_POD_UID", p.UID})
	}
	return append(args, [2]string{"IP", p.IP.String()}, [2]string{"MAC", p.MAC.String()})
}

// CNIArgsString is CNIArgs in the CNI_ARGS environment format.
func (p *Pod) CNIArgsString() string {
	var parts []string
	for _, kv := range p.CNIArgs() {
		parts = append(parts, kv[0]+"="+kv[1])
	}
	return strings.Join(parts, ";")
}

// Exec runs bin in the pod netns and returns its combined output.
func (p *Pod) Exec(bin string, args ...string) (string, error) {
	out, err := exec.Command("nsenter", append([]string{"--net=" + p.Netns, "--", bin}, args...)...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("pod %s: %s %s: %w: %s", p.Name, bin, strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// Destroy deletes the pod netns now, as the runtime does after DEL (with a
// NIC, VFs found inside come back the way the kernel returns them). It
// returns what the NIC reports back (nil without a NIC).
func (p *Pod) Destroy() (map[string]string, error) {
	b := p.bed
	b.mu.Lock()
	for i, q := range b.pods {
		if q == p {
			b.pods = append(b.pods[:i], b.pods[i+1:]...)
			break
		}
	}
	b.mu.Unlock()
	return p.destroy()
}

func (p *Pod) remove() error { _, err := p.destroy(); return err }

func (p *Pod) destroy() (map[string]string, error) {
	if p.gone {
		return nil, nil
	}
	p.gone = true
	if p.bed.NIC != nil {
		back, err := p.bed.NIC.DestroyNetns(p.Netns)
		if err != nil {
			return back, fmt.Errorf("pod %s: destroy netns: %w", p.Name, err)
		}
		return back, delNetns(p.NetnsName)
	}
	return nil, delNetns(p.NetnsName)
}
