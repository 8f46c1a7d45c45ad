package realkubeovn

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/vf-offload/vf-offload/e2e/bed"
	"github.com/vf-offload/vf-offload/e2e/cluster"
)

// Join makes bed b (made with NodeRoot, a NIC and the real kube-ovn CNI
// binary among its plugins) a node of cluster c running the real daemon
// (daemonBin): the API server served inside the node netns, a kubeconfig
// for it in the bed, then StartNode with the gateway answering for every
// subnet of Nets. The node's Close undoes all of it, the Node object
// included.
func Join(ctx context.Context, c *cluster.Cluster, b *bed.Bed, daemonBin string) (*Node, error) {
	url, stop, err := c.ServeInNetns(b.NodeNS)
	if err != nil {
		return nil, fmt.Errorf("API server in the node netns %s: %w", b.NodeNS, err)
	}
	kubeconfig := filepath.Join(b.Dir, "kubeconfig")
	if err := c.Kubeconfig(kubeconfig, url); err != nil {
		stop()
		return nil, err
	}
	n, err := StartNode(ctx, b, c, NodeOptions{DaemonBin: daemonBin, Kubeconfig: kubeconfig, Nets: NetList()})
	leave := func() error {
		defer stop()
		err := c.Delete(context.Background(), "/api/v1/nodes/"+n.Name)
		if err != nil && !errors.Is(err, cluster.ErrNotFound) {
			return fmt.Errorf("delete Node %s: %w", n.Name, err)
		}
		return nil
	}
	if err != nil {
		// StartNode closed what it had started.
		return n, errors.Join(err, leave())
	}
	n.leave = append(n.leave, leave)
	return n, nil
}
