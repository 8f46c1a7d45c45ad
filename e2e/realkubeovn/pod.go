package realkubeovn

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net"

	"github.com/vf-offload/vf-offload/e2e/cluster"
)

// Pod is a Pod object as the scheduler leaves it: bound to Node, with the
// operator's annotations and, when it asks for VFs, one container
// requesting them from a device plugin resource.
type Pod struct {
	Name, Namespace, Node string
	Annotations           map[string]string // e.g. v1.multus-cni.io/default-network
	Resource              string            // device plugin resource of the VFs
	VFs                   int
}

// podPath is the REST path of a Pod object.
func podPath(namespace, name string) string {
	return fmt.Sprintf("/api/v1/namespaces/%s/pods/%s", namespace, name)
}

// ipPath is the REST path of a Kube-OVN IP object (cluster-scoped).
func ipPath(name string) string { return "/apis/kubeovn.io/v1/ips/" + name }

// Place creates the Pod object with allocs' address annotations already in
// it, then their IP objects: the state the scheduler and kube-ovn-controller
// have written by the time the kubelet runs the pod's CNI ADD, which the
// daemon reads (it takes the pod from its informer and waits a whole second
// when the addresses are not there yet, so they come with the object). It
// returns the pod's UID.
func Place(ctx context.Context, api API, p Pod, allocs ...Allocation) (string, error) {
	ann := map[string]string{}
	for k, v := range p.Annotations {
		ann[k] = v
	}
	for _, a := range allocs {
		for k, v := range allocationAnnotations(a) {
			ann[k] = v
		}
	}
	container := map[string]any{"name": "app", "image": "registry.k8s.io/pause:3.10"}
	if p.VFs > 0 {
		q := fmt.Sprint(p.VFs)
		container["resources"] = map[string]any{"requests": map[string]any{p.Resource: q}, "limits": map[string]any{p.Resource: q}}
	}
	obj := map[string]any{"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": p.Name, "namespace": p.Namespace, "annotations": ann},
		"spec":     map[string]any{"nodeName": p.Node, "containers": []any{container}}}
	data, err := json.Marshal(obj)
	if err != nil {
		return "", fmt.Errorf("pod %s/%s: %w", p.Namespace, p.Name, err)
	}
	if err := api.Apply(ctx, data); err != nil {
		return "", fmt.Errorf("pod %s/%s: %w", p.Namespace, p.Name, err)
	}
	for _, a := range allocs {
		if err := createIP(ctx, api, a); err != nil {
			return "", err
		}
	}
	var got struct {
		Metadata struct{ UID string } `json:"metadata"`
	}
	if err := api.Get(ctx, podPath(p.Namespace, p.Name), &got); err != nil {
		return "", fmt.Errorf("pod %s/%s: %w", p.Namespace, p.Name, err)
	}
	return got.Metadata.UID, nil
}

// Unplace deletes the IP objects of allocs and the Pod object, as the
// controller and the kubelet do once the pod is gone; an object already
// gone is no error.
func Unplace(ctx context.Context, api API, namespace, name string, allocs ...Allocation) error {
	var errs []error
	del := func(path string) {
		if err := api.Delete(ctx, path); err != nil && !errors.Is(err, cluster.ErrNotFound) {
			errs = append(errs, err)
		}
	}
	for _, a := range allocs {
		del(ipPath(LogicalPortName(a.Pod, a.Namespace, a.Net.Provider)))
	}
	del(podPath(namespace, name))
	return errors.Join(errs...)
}

// NewAllocation is what kube-ovn-controller's IPAM gives pod namespace/name
// on node in subnet n: its address number host (counted from the network
// address; the gateway is 1, so host >= 2) and a random MAC (00:00:00 and
// three random bytes).
func NewAllocation(namespace, pod, node string, n Net, host int) (Allocation, error) {
	_, cidr, err := net.ParseCIDR(n.CIDR)
	if err != nil {
		return Allocation{}, fmt.Errorf("subnet %s CIDR %q: %w", n.Subnet, n.CIDR, err)
	}
	base := cidr.IP.To4()
	ones, bits := cidr.Mask.Size()
	if base == nil || bits != 32 {
		return Allocation{}, fmt.Errorf("subnet %s CIDR %q: IPv4 only", n.Subnet, n.CIDR)
	}
	if host < 2 || uint64(host) >= 1<<(bits-ones)-1 {
		return Allocation{}, fmt.Errorf("address number %d is not a host of subnet %s (%s)", host, n.Subnet, n.CIDR)
	}
	ip := make(net.IP, 4)
	binary.BigEndian.PutUint32(ip, binary.BigEndian.Uint32(base)+uint32(host))
	mac := make(net.HardwareAddr, 6)
	if _, err := rand.Read(mac[3:]); err != nil {
		return Allocation{}, fmt.Errorf("random MAC: %w", err)
	}
	return Allocation{Namespace: namespace, Pod: pod, Node: node, Net: n, IP: ip.String(), MAC: mac.String()}, nil
}
