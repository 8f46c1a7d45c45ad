package realkubeovn

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/vf-offload/vf-offload/e2e/cluster"
	"github.com/vf-offload/vf-offload/e2e/components"
)

// Nets are the Kube-OVN Subnets StartCluster creates, by provider: the
// cluster's default network and one per NAD of conf/ (plus "plain").
func Nets() map[string]Net {
	return map[string]Net{
		// the cluster's default network (Multus' delegate, 01-kube-ovn.conflist)
		"ovn": {Subnet: "ovn-default", Provider: "ovn", CIDR: "10.16.0.0/16", Gateway: "10.16.0.1", Default: true},
		// conf/nad-default.yaml (provider default.default.ovn)
		"default.default.ovn": {Subnet: "vfo-default", Provider: "default.default.ovn", CIDR: "10.17.0.0/16", Gateway: "10.17.0.1"},
		// conf/nad-secondary.yaml
		"sriov-ovn.default.ovn": {Subnet: "vfo-sriov-ovn", Provider: "sriov-ovn.default.ovn", CIDR: "10.18.0.0/16", Gateway: "10.18.0.1"},
		// PlainNAD: the default NAD without a resource
		"plain.default.ovn": {Subnet: "vfo-plain", Provider: "plain.default.ovn", CIDR: "10.19.0.0/16", Gateway: "10.19.0.1"},
	}
}

// NetList is Nets as a list (what NodeOptions.Nets takes).
func NetList() []Net {
	var out []Net
	for _, n := range Nets() {
		out = append(out, n)
	}
	return out
}

// Unavailable says why the real Kube-OVN with a cluster cannot run here ("" when
// it can): a component among names not built, kube-apiserver or etcd
// missing, no ovs-vswitchd. It records etcd and ovs-vswitchd in comps (for
// comps.Announce).
func Unavailable(comps *components.Set, names ...string) string {
	if err := comps.Missing(append([]string{"kube-apiserver", "kube-ovn", "kube-ovn-daemon"}, names...)...); err != nil {
		return err.Error()
	}
	if why := cluster.Missing(comps.Get("kube-apiserver").Path); why != "" {
		return why
	}
	for _, s := range [][]string{{"etcd", "--version"}, {"ovs-vswitchd", "--version"}} {
		if _, err := comps.System(s[0], s[1:]...); err != nil {
			return err.Error()
		}
	}
	return ""
}

// StartCluster starts etcd and the components' kube-apiserver in a new
// temporary directory and fills it (Populate). The caller closes the
// cluster and removes its Dir.
func StartCluster(ctx context.Context, comps *components.Set, repo string) (*cluster.Cluster, error) {
	dir, err := os.MkdirTemp("", "vfo-cluster-")
	if err != nil {
		return nil, err
	}
	c, err := cluster.Start(ctx, dir, comps.Get("kube-apiserver").Path)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("start kube-apiserver: %w", err)
	}
	if err := Populate(ctx, c, comps, repo); err != nil {
		_ = c.Close()
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return c, nil
}

// Populate applies the CRDs (NetworkAttachmentDefinition from Multus'
// manifest, Kube-OVN's), the Subnets of Nets, and conf/'s NADs and example
// pod as they ship, and PlainNAD.
func Populate(ctx context.Context, c *cluster.Cluster, comps *components.Set, repo string) error {
	multus, err := os.ReadFile(comps.Manifest("multus-daemonset.yml"))
	if err != nil {
		return err
	}
	crd, err := onlyKind(multus, "CustomResourceDefinition")
	if err != nil {
		return fmt.Errorf("multus manifest: %w", err)
	}
	kovn, err := os.ReadFile(comps.Manifest("kube-ovn-crd.yaml"))
	if err != nil {
		return err
	}
	for what, data := range map[string][]byte{"NetworkAttachmentDefinition CRD": crd, "Kube-OVN CRDs": kovn} {
		if err := c.Apply(ctx, data); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	for _, n := range Nets() {
		if err := CreateSubnet(ctx, c, n); err != nil {
			return err
		}
	}
	for _, f := range []string{"nad-default.yaml", "nad-secondary.yaml", "pod-example.yaml"} {
		data, err := os.ReadFile(filepath.Join(repo, "conf", f))
		if err != nil {
			return err
		}
		if err := c.Apply(ctx, data); err != nil {
			return fmt.Errorf("conf/%s as it ships: %w", f, err)
		}
	}
	plain, err := PlainNAD(repo)
	if err != nil {
		return err
	}
	return c.Apply(ctx, plain)
}

// PlainNAD is conf/nad-default.yaml renamed "plain", without its resource
// annotation: a NAD that names no resource, so no device ID is handed over.
func PlainNAD(repo string) ([]byte, error) {
	data, err := os.ReadFile(filepath.Join(repo, "conf", "nad-default.yaml"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, "k8s.v1.cni.cncf.io/resourceName:") {
			continue
		}
		l = strings.Replace(l, "name: default", "name: plain", 1)
		l = strings.ReplaceAll(l, "default.default.ovn", "plain.default.ovn")
		out = append(out, l)
	}
	return []byte(strings.Join(out, "\n")), nil
}

// onlyKind keeps the YAML documents of one kind.
func onlyKind(data []byte, kind string) ([]byte, error) {
	var keep []string
	for _, doc := range strings.Split(string(data), "\n---") {
		if strings.Contains(doc, "\nkind: "+kind+"\n") || strings.HasPrefix(strings.TrimSpace(doc), "kind: "+kind) {
			keep = append(keep, doc)
		}
	}
	if len(keep) == 0 {
		return nil, fmt.Errorf("no %s in it", kind)
	}
	return []byte(strings.Join(keep, "\n---\n")), nil
}
