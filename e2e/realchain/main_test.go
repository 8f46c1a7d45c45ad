package realchain

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/vf-offload/vf-offload/e2e/bed"
	"github.com/vf-offload/vf-offload/e2e/cluster"
	"github.com/vf-offload/vf-offload/e2e/components"
	"github.com/vf-offload/vf-offload/e2e/realkubeovn"
)

// suite is what TestMain sets up once for every test of the package: one
// API server (the cluster), shared by the tests' nodes (one bed each).
type suite struct {
	skip  string // why the tests cannot run here
	fail  error  // why the shared setup failed
	comps *components.Set
	c     *cluster.Cluster
	repo  string
}

var env suite

// The Kube-OVN Subnets the suite creates, one per provider the tests use.
func nets() map[string]realkubeovn.Net {
	return map[string]realkubeovn.Net{
		// the cluster's default network (Multus' delegate, 01-kube-ovn.conflist)
		"ovn": {Subnet: "ovn-default", Provider: "ovn", CIDR: "10.16.0.0/16", Gateway: "10.16.0.1", Default: true},
		// conf/nad-default.yaml (provider default.default.ovn)
		"default.default.ovn": {Subnet: "vfo-default", Provider: "default.default.ovn", CIDR: "10.17.0.0/16", Gateway: "10.17.0.1"},
		// conf/nad-secondary.yaml
		"sriov-ovn.default.ovn": {Subnet: "vfo-sriov-ovn", Provider: "sriov-ovn.default.ovn", CIDR: "10.18.0.0/16", Gateway: "10.18.0.1"},
		// plainNAD: the default NAD without a resource
		"plain.default.ovn": {Subnet: "vfo-plain", Provider: "plain.default.ovn", CIDR: "10.19.0.0/16", Gateway: "10.19.0.1"},
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if env.c != nil {
		if err := env.c.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "realchain: close cluster: %v\n", err)
		}
		os.RemoveAll(env.c.Dir())
	}
	os.Exit(code)
}

// need skips (or, with VFO_E2E_REQUIRED=1, fails) a test that cannot run
// here, and starts the shared cluster on first use.
func need(t testing.TB) {
	t.Helper()
	if env.comps == nil && env.skip == "" && env.fail == nil {
		setup()
	}
	if env.skip != "" {
		if os.Getenv("VFO_E2E_REQUIRED") == "1" {
			t.Fatalf("real chain required (VFO_E2E_REQUIRED=1) but %s", env.skip)
		}
		t.Skipf("real chain skipped: %s (VFO_E2E_REQUIRED=1 fails instead)", env.skip)
	}
	if env.fail != nil {
		t.Fatalf("real chain setup: %v", env.fail)
	}
}

func setup() {
	if os.Geteuid() != 0 {
		env.skip = "needs root (netns, OVS, FUSE)"
		return
	}
	if why := bed.Missing(); why != "" {
		env.skip = why
		return
	}
	comps, err := components.Load()
	if err != nil {
		env.fail = err
		return
	}
	if err := comps.Missing("multus", "kube-apiserver", "kube-ovn", "kube-ovn-daemon"); err != nil {
		env.skip = err.Error()
		return
	}
	if why := cluster.Missing(comps.Get("kube-apiserver").Path); why != "" {
		env.skip = why
		return
	}
	for _, s := range [][]string{{"etcd", "--version"}, {"ovs-vswitchd", "--version"}} {
		if _, err := comps.System(s[0], s[1:]...); err != nil {
			env.skip = err.Error()
			return
		}
	}
	comps.Announce(os.Stdout, "kube-apiserver", "etcd", "multus", "kube-ovn", "kube-ovn-daemon", "ovs-vswitchd")
	env.comps = comps
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "vfo-cluster-")
	if err != nil {
		env.fail = err
		return
	}
	t0 := time.Now()
	c, err := cluster.Start(ctx, dir, comps.Get("kube-apiserver").Path)
	if err != nil {
		os.RemoveAll(dir)
		env.fail = fmt.Errorf("start kube-apiserver: %w", err)
		return
	}
	env.c = c
	fmt.Printf("realchain: kube-apiserver %s with etcd %s ready in %s\n", c.Version(), c.EtcdVersion(), time.Since(t0).Round(time.Millisecond))
	if env.repo, err = repoRoot(); err != nil {
		env.fail = err
		return
	}
	if err := populate(ctx, c, comps, env.repo); err != nil {
		env.fail = err
	}
}

// populate applies the CRDs (NetworkAttachmentDefinition from Multus'
// manifest, Kube-OVN's), the Subnets, and conf/'s NADs and example pod as
// they ship.
func populate(ctx context.Context, c *cluster.Cluster, comps *components.Set, repo string) error {
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
	for _, n := range nets() {
		if err := realkubeovn.CreateSubnet(ctx, c, n); err != nil {
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
	plain, err := plainNAD(repo)
	if err != nil {
		return err
	}
	return c.Apply(ctx, plain)
}

// plainNAD is conf/nad-default.yaml renamed "plain", without its resource
// annotation: a NAD that names no resource, so no device ID is handed over.
func plainNAD(repo string) ([]byte, error) {
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

func repoRoot() (string, error) {
	d, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for ; d != filepath.Dir(d); d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
	}
	return "", fmt.Errorf("module root not found")
}

// nadConfig returns spec.config of a NetworkAttachmentDefinition manifest.
func nadConfig(manifest []byte) (string, error) {
	var nad struct {
		Spec struct {
			Config string `json:"config"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(manifest, &nad); err != nil {
		return "", err
	}
	if nad.Spec.Config == "" {
		return "", fmt.Errorf("no spec.config")
	}
	return nad.Spec.Config, nil
}
