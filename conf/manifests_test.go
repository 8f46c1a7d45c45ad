package conf

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/containernetworking/cni/libcni"
	current "github.com/containernetworking/cni/pkg/types/100"
	"github.com/containernetworking/cni/pkg/version"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/vf-offload/vf-offload/pkg/config"
)

// Names shared between the files of this directory and the rest of the
// project. They are spelled out here on purpose: a change in one file that is
// not made in the others must fail a test.
const (
	nadAPIVersion       = "k8s.cni.cncf.io/v1"
	resourceAnnotation  = "k8s.v1.cni.cncf.io/resourceName"
	defaultNetAnno      = "v1.multus-cni.io/default-network"
	deviceInfoDir       = "/var/run/k8s.cni.cncf.io/devinfo/cni" // where Multus points CNIDeviceInfoFile
	hostCNIBinDir       = "/opt/cni/bin"
	pluginBinaryName    = "vf-offload"
	smartNICLabel       = "vf-offload.io/smartnic"
	devicePluginCMName  = "sriovdp-config"
	devicePluginCMNs    = "kube-system"
	devicePluginCMKey   = "config.json"
	testPCIAddress      = "0000:03:00.2"
	testContainerID     = "4f6c1b2a9d3e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a"
	testNetNS           = "/var/run/netns/cni-test"
	kubeOVNServerSocket = "/run/openvswitch/kube-ovn-daemon.sock"
)

// networkAttachmentDefinition is the part of the Multus CRD the files use.
// Decoding it strictly makes a misspelt or misplaced key an error.
type networkAttachmentDefinition struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   metav1.ObjectMeta `json:"metadata"`
	Spec       struct {
		Config string `json:"config"`
	} `json:"spec"`
}

// devicePluginConfig mirrors the config.json schema of the SR-IOV network
// device plugin (ResourceConfList, ResourceConfig and the netDevice
// selectors), restricted to the keys this directory is allowed to use.
type devicePluginConfig struct {
	ResourceList []struct {
		ResourcePrefix string `json:"resourcePrefix"`
		ResourceName   string `json:"resourceName"`
		DeviceType     string `json:"deviceType,omitempty"`
		Selectors      struct {
			Vendors []string `json:"vendors"`
			Devices []string `json:"devices"`
			Drivers []string `json:"drivers"`
			PfNames []string `json:"pfNames,omitempty"`
			IsRdma  *bool    `json:"isRdma,omitempty"`
		} `json:"selectors"`
	} `json:"resourceList"`
}

type doc struct {
	file  string
	index int
	raw   []byte
}

func (d doc) String() string { return fmt.Sprintf("%s (document %d)", d.file, d.index+1) }

type nadDoc struct {
	doc
	obj networkAttachmentDefinition
}

type manifests struct {
	nads       []nadDoc
	configMaps []*corev1.ConfigMap
	pods       []*corev1.Pod
	daemonSets []*appsv1.DaemonSet
	docs       int
}

// splitYAML cuts a file at lines consisting of "---" and drops documents
// that hold only comments and blank lines.
func splitYAML(b []byte) [][]byte {
	var out [][]byte
	var cur bytes.Buffer
	meaningful := false
	flush := func() {
		if meaningful {
			out = append(out, bytes.Clone(cur.Bytes()))
		}
		cur.Reset()
		meaningful = false
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimRight(line, " \t") == "---" {
			flush()
			continue
		}
		if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "#") {
			meaningful = true
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
	}
	flush()
	return out
}

// strict decodes one YAML document into obj, failing on unknown or
// duplicate fields.
func strict(d doc, obj any) error {
	if err := yaml.UnmarshalStrict(d.raw, obj); err != nil {
		return fmt.Errorf("%s: %w", d, err)
	}
	return nil
}

// loadManifests decodes every YAML document of conf/*.yaml strictly into
// the type its apiVersion and kind name. Any other kind is an error, so a
// new manifest needs a decoder here before it can be added.
func loadManifests(t *testing.T) *manifests {
	t.Helper()
	files, err := filepath.Glob("*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	more, err := filepath.Glob("*.yml")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, more...)
	if len(files) == 0 {
		t.Fatal("no *.yaml files in conf/")
	}
	m := &manifests{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		parts := splitYAML(b)
		if len(parts) == 0 {
			t.Errorf("%s: no YAML document", f)
		}
		for i, raw := range parts {
			d := doc{file: f, index: i, raw: raw}
			m.docs++
			var tm metav1.TypeMeta
			if err := yaml.Unmarshal(raw, &tm); err != nil {
				t.Errorf("%s: %v", d, err)
				continue
			}
			switch gvk := tm.APIVersion + "/" + tm.Kind; gvk {
			case nadAPIVersion + "/NetworkAttachmentDefinition":
				n := nadDoc{doc: d}
				if err := strict(d, &n.obj); err != nil {
					t.Error(err)
					continue
				}
				m.nads = append(m.nads, n)
			case "v1/ConfigMap":
				cm := &corev1.ConfigMap{}
				if err := strict(d, cm); err != nil {
					t.Error(err)
					continue
				}
				m.configMaps = append(m.configMaps, cm)
			case "v1/Pod":
				p := &corev1.Pod{}
				if err := strict(d, p); err != nil {
					t.Error(err)
					continue
				}
				m.pods = append(m.pods, p)
			case "apps/v1/DaemonSet":
				ds := &appsv1.DaemonSet{}
				if err := strict(d, ds); err != nil {
					t.Error(err)
					continue
				}
				m.daemonSets = append(m.daemonSets, ds)
			default:
				t.Errorf("%s: no strict decoder for apiVersion %q kind %q", d, tm.APIVersion, tm.Kind)
			}
		}
	}
	return m
}

// TestManifestsDecodeStrictly checks that every document in conf/*.yaml
// decodes into its Kubernetes type with unknown fields rejected, and that
// the expected objects are all there.
func TestManifestsDecodeStrictly(t *testing.T) {
	m := loadManifests(t)
	if t.Failed() {
		return
	}
	if len(m.nads) != 2 || len(m.configMaps) != 1 || len(m.pods) != 1 || len(m.daemonSets) != 1 {
		t.Errorf("want 2 NetworkAttachmentDefinitions, 1 ConfigMap, 1 Pod, 1 DaemonSet; got %d, %d, %d, %d",
			len(m.nads), len(m.configMaps), len(m.pods), len(m.daemonSets))
	}
	for _, n := range m.nads {
		if n.obj.Metadata.Name == "" || n.obj.Metadata.Namespace == "" {
			t.Errorf("%s: NetworkAttachmentDefinition needs metadata.name and metadata.namespace", n.doc)
		}
		if strings.TrimSpace(n.obj.Spec.Config) == "" {
			t.Errorf("%s: spec.config is empty", n.doc)
		}
	}
	t.Logf("%d documents decoded strictly", m.docs)
}

// pluginRun is what one plugin of a conflist received from libcni.
type pluginRun struct {
	stdin []byte
	env   []string
}

// recordingExec stands in for the plugin binaries: it records the stdin
// libcni builds for each plugin and answers ADD with a fixed result, which
// libcni then passes on as prevResult.
type recordingExec struct {
	runs  map[string]pluginRun
	order []string
}

func (e *recordingExec) ExecPlugin(_ context.Context, pluginPath string, stdin []byte, environ []string) ([]byte, error) {
	typ := filepath.Base(pluginPath)
	e.runs[typ] = pluginRun{stdin: bytes.Clone(stdin), env: environ}
	e.order = append(e.order, typ)
	var nc struct {
		CNIVersion string `json:"cniVersion"`
	}
	if err := json.Unmarshal(stdin, &nc); err != nil {
		return nil, err
	}
	return fmt.Appendf(nil, `{"cniVersion":%q,"interfaces":[{"name":"eth0","mac":"00:00:00:c5:6d:4e","sandbox":%q}],`+
		`"ips":[{"version":"4","address":"10.16.0.5/16","gateway":"10.16.0.1","interface":0}]}`, nc.CNIVersion, testNetNS), nil
}

func (e *recordingExec) FindInPath(plugin string, _ []string) (string, error) {
	return path.Join(hostCNIBinDir, plugin), nil
}

func (e *recordingExec) Decode(b []byte) (version.PluginInfo, error) {
	return (&version.PluginDecoder{}).Decode(b)
}

// multusStyle returns the conflist as Multus hands it to libcni: the device
// ID written into every plugin entry as top-level "deviceID" (Multus >=
// v3.4.1 does this for default and secondary networks alike).
func multusStyle(t *testing.T, conflist, pci string) []byte {
	t.Helper()
	var raw map[string]any
	if err := json.Unmarshal([]byte(conflist), &raw); err != nil {
		t.Fatalf("conflist is not JSON: %v", err)
	}
	plugins, _ := raw["plugins"].([]any)
	for _, p := range plugins {
		if m, ok := p.(map[string]any); ok {
			m["deviceID"] = pci
		}
	}
	b, err := json.Marshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// secondary reports whether the NAD is the one pods attach as an additional
// network (everything except the NAD named "default").
func secondary(n nadDoc) bool { return n.obj.Metadata.Name != "default" }

// TestNADConfigLists runs the conflist of every NetworkAttachmentDefinition
// through libcni the way Multus does (top-level deviceID in every entry;
// runtimeConfig capability arguments for a secondary network) with the
// plugins replaced by a recorder, and checks what each plugin would read.
// The vf-offload entry must pass vf-offload's own parser, and only contain
// keys that parser knows.
func TestNADConfigLists(t *testing.T) {
	m := loadManifests(t)
	if len(m.nads) == 0 {
		t.Fatal("no NetworkAttachmentDefinition found")
	}
	for _, n := range m.nads {
		t.Run(n.obj.Metadata.Name, func(t *testing.T) {
			list, err := libcni.ConfListFromBytes([]byte(n.obj.Spec.Config))
			if err != nil {
				t.Fatalf("%s: libcni rejects spec.config: %v", n.doc, err)
			}
			// Multus answers the runtime in the NAD's cniVersion. The
			// interface's "pciID" and "mtu", which vf-offload reports, are
			// part of the result since 1.1.0; a 0.x result drops them. Kube-OVN's CNI
			// accepts every version, portmap (v1.9.1) and Multus v4 accept 1.1.0.
			if list.CNIVersion != "1.1.0" {
				t.Errorf("cniVersion %q, want 1.1.0", list.CNIVersion)
			}
			res := &current.Result{CNIVersion: "1.1.0",
				Interfaces: []*current.Interface{{Name: "eth0", Mtu: 1400, Sandbox: testNetNS, PciID: testPCIAddress}}}
			if conv, err := res.GetAsVersion(list.CNIVersion); err != nil {
				t.Errorf("vf-offload's result cannot be given as %s: %v", list.CNIVersion, err)
			} else if b, _ := json.Marshal(conv); !bytes.Contains(b, []byte(`"pciID":"`+testPCIAddress+`"`)) ||
				!bytes.Contains(b, []byte(`"mtu":1400`)) {
				t.Errorf("as %s vf-offload's result loses pciID or mtu: %s", list.CNIVersion, b)
			}
			var types []string
			for _, p := range list.Plugins {
				types = append(types, p.Network.Type)
			}
			if want := []string{"kube-ovn", pluginBinaryName, "portmap"}; !slices.Equal(types, want) {
				t.Fatalf("plugin chain %v, want %v", types, want)
			}

			// Capabilities as declared in the file.
			vfCaps := list.Plugins[1].Network.Capabilities
			for _, c := range []string{"deviceID", "CNIDeviceInfoFile"} {
				if !vfCaps[c] {
					t.Errorf("vf-offload entry does not declare capability %q", c)
				}
			}
			if !list.Plugins[2].Network.Capabilities["portMappings"] {
				t.Errorf("portmap entry does not declare capability \"portMappings\"")
			}

			// Run the chain through libcni.
			caps := map[string]any{
				"portMappings": []map[string]any{{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}},
			}
			ifName := "eth0"
			devInfo := ""
			if secondary(n) {
				ifName = "net1"
				// Multus names the file <namespace>-<name>-<containerID>_<ifname>.
				devInfo = fmt.Sprintf("%s/%s-%s-%s_%s", deviceInfoDir,
					n.obj.Metadata.Namespace, n.obj.Metadata.Name, testContainerID, ifName)
				caps["deviceID"] = testPCIAddress
				caps["CNIDeviceInfoFile"] = devInfo
			}
			list, err = libcni.ConfListFromBytes(multusStyle(t, n.obj.Spec.Config, testPCIAddress))
			if err != nil {
				t.Fatal(err)
			}
			rec := &recordingExec{runs: map[string]pluginRun{}}
			cni := libcni.NewCNIConfigWithCacheDir([]string{hostCNIBinDir}, t.TempDir(), rec)
			rt := &libcni.RuntimeConf{ContainerID: testContainerID, NetNS: testNetNS, IfName: ifName, CapabilityArgs: caps}
			if _, err := cni.AddNetworkList(context.Background(), list, rt); err != nil {
				t.Fatalf("libcni ADD through the recorder: %v", err)
			}
			if !slices.Equal(rec.order, types) {
				t.Fatalf("libcni ran %v, want %v", rec.order, types)
			}

			// kube-ovn: provider follows {name}.{namespace}.ovn of this NAD.
			var ko struct {
				ServerSocket string `json:"server_socket"`
				Provider     string `json:"provider"`
				DeviceID     string `json:"deviceID"`
			}
			if err := json.Unmarshal(rec.runs["kube-ovn"].stdin, &ko); err != nil {
				t.Fatal(err)
			}
			if want := n.obj.Metadata.Name + "." + n.obj.Metadata.Namespace + ".ovn"; ko.Provider != want {
				t.Errorf("kube-ovn provider %q, want %q ({name}.{namespace}.ovn of the NAD)", ko.Provider, want)
			}
			if ko.ServerSocket != kubeOVNServerSocket {
				t.Errorf("kube-ovn server_socket %q, want %q", ko.ServerSocket, kubeOVNServerSocket)
			}

			// vf-offload: its own parser, then its own reading of the device ID.
			stdin := rec.runs[pluginBinaryName].stdin
			conf, err := config.Parse(stdin)
			if err != nil {
				t.Fatalf("config.Parse rejects the vf-offload entry: %v\nstdin: %s", err, stdin)
			}
			dec := json.NewDecoder(bytes.NewReader(stdin))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&config.NetConf{}); err != nil {
				t.Errorf("vf-offload entry has a key vf-offload does not read: %v", err)
			}
			if conf.Name != list.Name || conf.CNIVersion != list.CNIVersion {
				t.Errorf("vf-offload got name %q cniVersion %q, want %q %q", conf.Name, conf.CNIVersion, list.Name, list.CNIVersion)
			}
			for _, kv := range [][2]string{
				{conf.Bridge, "br-int"},
				{conf.OVSDB, "unix:/run/openvswitch/db.sock"},
				{conf.StateDir, "/var/lib/cni/vf-offload"},
				{conf.LogFile, "/var/log/vf-offload.log"},
			} {
				if kv[0] != kv[1] {
					t.Errorf("vf-offload setting %q, want %q", kv[0], kv[1])
				}
			}
			if conf.PrevResult == nil {
				t.Errorf("vf-offload got no prevResult from libcni")
			}
			pci, src, err := conf.DeviceID()
			if err != nil || pci != testPCIAddress {
				t.Errorf("vf-offload device ID %q (%v), want %q", pci, err, testPCIAddress)
			}
			wantSrc := config.SourceDeviceID
			if secondary(n) {
				wantSrc = config.SourceRuntimeConfig
				if conf.RuntimeConfig.CNIDeviceInfoFile != devInfo {
					t.Errorf("vf-offload runtimeConfig.CNIDeviceInfoFile %q, want %q", conf.RuntimeConfig.CNIDeviceInfoFile, devInfo)
				}
			}
			if src != wantSrc {
				t.Errorf("vf-offload took the device ID from %q, want %q", src, wantSrc)
			}

			// portmap: gets the port mappings through its capability.
			var pm struct {
				RuntimeConfig struct {
					PortMappings []json.RawMessage `json:"portMappings"`
				} `json:"runtimeConfig"`
			}
			if err := json.Unmarshal(rec.runs["portmap"].stdin, &pm); err != nil {
				t.Fatal(err)
			}
			if len(pm.RuntimeConfig.PortMappings) != 1 {
				t.Errorf("portmap got %d port mappings, want 1", len(pm.RuntimeConfig.PortMappings))
			}
		})
	}
}

var pciID = regexp.MustCompile(`^[0-9a-f]{4}$`)

// devicePluginResources decodes the device plugin's config.json strictly
// and returns its resources by full name (prefix/name).
func devicePluginResources(t *testing.T, m *manifests) map[string][3][]string {
	t.Helper()
	var cm *corev1.ConfigMap
	for _, c := range m.configMaps {
		if c.Name == devicePluginCMName && c.Namespace == devicePluginCMNs {
			cm = c
		}
	}
	if cm == nil {
		t.Fatalf("no ConfigMap %s/%s", devicePluginCMNs, devicePluginCMName)
	}
	js, ok := cm.Data[devicePluginCMKey]
	if !ok {
		t.Fatalf("ConfigMap %s has no key %q", devicePluginCMName, devicePluginCMKey)
	}
	if !json.Valid([]byte(js)) {
		t.Fatalf("%s is not valid JSON", devicePluginCMKey)
	}
	var cfg devicePluginConfig
	dec := json.NewDecoder(strings.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("%s: %v", devicePluginCMKey, err)
	}
	res := map[string][3][]string{}
	for i, r := range cfg.ResourceList {
		if r.ResourcePrefix == "" || r.ResourceName == "" {
			t.Errorf("resourceList[%d]: resourcePrefix and resourceName are required here", i)
			continue
		}
		full := r.ResourcePrefix + "/" + r.ResourceName
		if _, dup := res[full]; dup {
			t.Errorf("resource %s defined twice", full)
		}
		s := r.Selectors
		if len(s.Vendors) == 0 || len(s.Devices) == 0 || len(s.Drivers) == 0 {
			t.Errorf("%s: vendors, devices and drivers selectors must all be set", full)
		}
		for _, id := range append(slices.Clone(s.Vendors), s.Devices...) {
			if !pciID.MatchString(id) {
				t.Errorf("%s: %q is not a 4-digit lower-case hex PCI ID", full, id)
			}
		}
		res[full] = [3][]string{s.Vendors, s.Devices, s.Drivers}
	}
	return res
}

// TestDevicePluginConfig checks the SR-IOV device plugin ConfigMap: valid
// JSON, only keys of the device plugin's schema, and the two VF pools.
func TestDevicePluginConfig(t *testing.T) {
	m := loadManifests(t)
	res := devicePluginResources(t, m)
	want := map[string][3][]string{
		"corigine.com/agilio_sriov": {{"19ee"}, {"6003"}, {"nfp_netvf"}},
		"nvidia.com/cx5_sriov":      {{"15b3"}, {"1018"}, {"mlx5_core"}},
	}
	for name, sel := range want {
		got, ok := res[name]
		if !ok {
			t.Errorf("resource %s missing", name)
			continue
		}
		for i, what := range []string{"vendors", "devices", "drivers"} {
			if !slices.Equal(got[i], sel[i]) {
				t.Errorf("%s %s = %v, want %v", name, what, got[i], sel[i])
			}
		}
	}
	if len(res) != len(want) {
		t.Errorf("resources %v, want exactly %v", sortedKeys(res), sortedKeys(want))
	}
}

func sortedKeys[V any](m map[string]V) []string {
	k := make([]string, 0, len(m))
	for s := range m {
		k = append(k, s)
	}
	sort.Strings(k)
	return k
}

// TestCrossReferences checks the names the files share: every NAD's VF pool
// exists in the device plugin config, and the example pod requests an
// existing pool (request equal to limit) and selects an existing NAD.
func TestCrossReferences(t *testing.T) {
	m := loadManifests(t)
	res := devicePluginResources(t, m)
	nads := map[string]nadDoc{}
	for _, n := range m.nads {
		nads[n.obj.Metadata.Namespace+"/"+n.obj.Metadata.Name] = n
		rn, ok := n.obj.Metadata.Annotations[resourceAnnotation]
		if !ok {
			t.Errorf("%s: no %s annotation", n.doc, resourceAnnotation)
			continue
		}
		if _, ok := res[rn]; !ok {
			t.Errorf("%s: resource %q is not in the device plugin config (have %v)", n.doc, rn, sortedKeys(res))
		}
	}
	if len(m.pods) == 0 {
		t.Fatal("no example pod")
	}
	for _, p := range m.pods {
		ref, ok := p.Annotations[defaultNetAnno]
		if !ok {
			t.Errorf("pod %s: no %s annotation", p.Name, defaultNetAnno)
		}
		nad, ok := nads[ref]
		if !ok {
			t.Errorf("pod %s: %s %q names no NetworkAttachmentDefinition in conf/ (have %v)", p.Name, defaultNetAnno, ref, sortedKeys(nads))
		}
		if ns, _, _ := strings.Cut(ref, "/"); ns != p.Namespace {
			t.Errorf("pod %s: NAD %q is in another namespace than the pod (%s)", p.Name, ref, p.Namespace)
		}
		requested := 0
		for _, c := range p.Spec.Containers {
			for name, q := range c.Resources.Requests {
				if !strings.Contains(string(name), "/") {
					continue
				}
				requested++
				if _, ok := res[string(name)]; !ok {
					t.Errorf("pod %s container %s requests %s, which the device plugin does not provide", p.Name, c.Name, name)
				}
				if l, ok := c.Resources.Limits[name]; !ok || l.Cmp(q) != 0 {
					t.Errorf("pod %s container %s: limit of %s must equal its request %s", p.Name, c.Name, name, q.String())
				}
				if want := nad.obj.Metadata.Annotations[resourceAnnotation]; ok && string(name) != want {
					t.Errorf("pod %s requests %s but its network %s draws VFs from %s", p.Name, name, ref, want)
				}
			}
		}
		if requested != 1 {
			t.Errorf("pod %s requests %d VF resources, want 1", p.Name, requested)
		}
	}
}

// installer is the DaemonSet container that writes to the host: the one
// mounting a hostPath volume, with that volume's host path.
func installer(t *testing.T, ds *appsv1.DaemonSet) (corev1.Container, corev1.VolumeMount, string) {
	t.Helper()
	spec := ds.Spec.Template.Spec
	hostPaths := map[string]string{}
	for _, v := range spec.Volumes {
		if v.HostPath != nil {
			hostPaths[v.Name] = v.HostPath.Path
		}
	}
	var found []corev1.Container
	var mount corev1.VolumeMount
	for _, c := range slices.Concat(spec.InitContainers, spec.Containers) {
		for _, vm := range c.VolumeMounts {
			if _, ok := hostPaths[vm.Name]; ok {
				found = append(found, c)
				mount = vm
			}
		}
	}
	if len(found) != 1 {
		t.Fatalf("DaemonSet: %d container mounts of a hostPath volume, want 1 (the installer)", len(found))
	}
	return found[0], mount, hostPaths[mount.Name]
}

// TestInstallerMatchesImage checks that the DaemonSet runs the image's
// installer on the binary the Dockerfile puts in the image, into the
// mount of the host's /opt/cni/bin, and stays up (--sleep): the pod is one
// container, the installer.
func TestInstallerMatchesImage(t *testing.T) {
	img := dockerfileImage(t)
	m := loadManifests(t)
	if len(m.daemonSets) != 1 {
		t.Fatalf("want one DaemonSet, got %d", len(m.daemonSets))
	}
	ds := m.daemonSets[0]
	spec := ds.Spec.Template.Spec
	if n := len(spec.InitContainers) + len(spec.Containers); n != 1 || len(spec.Containers) != 1 {
		t.Errorf("DaemonSet: %d init containers and %d containers, want only the installer container", len(spec.InitContainers), len(spec.Containers))
	}
	c, mount, hostPath := installer(t, ds)
	if hostPath != hostCNIBinDir {
		t.Errorf("container %s: %s is hostPath %q, want %q", c.Name, mount.MountPath, hostPath, hostCNIBinDir)
	}
	for _, v := range spec.Volumes {
		if v.Name == mount.Name && (v.HostPath.Type == nil || *v.HostPath.Type != corev1.HostPathDirectory) {
			t.Errorf("hostPath %s: type %v, want Directory (fail rather than create it)", hostPath, v.HostPath.Type)
		}
	}
	if mount.ReadOnly {
		t.Errorf("container %s: %s is mounted read-only", c.Name, mount.MountPath)
	}
	want := []string{img.binary, "install", "--target", mount.MountPath, "--sleep"}
	if got := slices.Concat(c.Command, c.Args); !slices.Equal(got, want) {
		t.Errorf("container %s runs %q, want %q", c.Name, got, want)
	}
	if !slices.Equal(img.entrypoint, want[:2]) {
		t.Errorf("Dockerfile ENTRYPOINT %q, want %q: the installer the DaemonSet runs", img.entrypoint, want[:2])
	}
}

// TestDaemonSetScheduling checks where the installer runs: every node
// labelled as a SmartNIC node, NoSchedule taints tolerated.
func TestDaemonSetScheduling(t *testing.T) {
	m := loadManifests(t)
	if len(m.daemonSets) != 1 {
		t.Fatalf("want one DaemonSet, got %d", len(m.daemonSets))
	}
	ds := m.daemonSets[0]
	if ds.Name != "vf-offload-installer" || ds.Namespace != "kube-system" {
		t.Errorf("DaemonSet %s/%s, want kube-system/vf-offload-installer", ds.Namespace, ds.Name)
	}
	spec := ds.Spec.Template.Spec
	if spec.NodeSelector[smartNICLabel] != "true" {
		t.Errorf("nodeSelector %v lacks %s: \"true\"", spec.NodeSelector, smartNICLabel)
	}
	tolerated := false
	for _, tol := range spec.Tolerations {
		if tol.Operator == corev1.TolerationOpExists && tol.Key == "" && tol.Effect == corev1.TaintEffectNoSchedule {
			tolerated = true
		}
	}
	if !tolerated {
		t.Errorf("no toleration of every NoSchedule taint: %v", spec.Tolerations)
	}
	sel, err := metav1.LabelSelectorAsMap(ds.Spec.Selector)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range sel {
		if ds.Spec.Template.Labels[k] != v {
			t.Errorf("selector %s=%s does not match the pod template labels %v", k, v, ds.Spec.Template.Labels)
		}
	}
}

// TestDaemonSetSecurity checks that every container is as narrow as it can
// be: no capabilities, no privilege escalation, read-only root filesystem,
// bounded resources; and that only a container writing to the host runs as
// root.
func TestDaemonSetSecurity(t *testing.T) {
	m := loadManifests(t)
	if len(m.daemonSets) != 1 {
		t.Fatalf("want one DaemonSet, got %d", len(m.daemonSets))
	}
	spec := m.daemonSets[0].Spec.Template.Spec
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		t.Errorf("automountServiceAccountToken must be false: the installer talks to no API")
	}
	if spec.HostNetwork || spec.HostPID || spec.HostIPC {
		t.Errorf("hostNetwork, hostPID and hostIPC must stay off: the installer needs none of them")
	}
	hostPathVols := map[string]bool{}
	for _, v := range spec.Volumes {
		if v.HostPath != nil {
			hostPathVols[v.Name] = true
		}
	}
	for _, c := range slices.Concat(spec.InitContainers, spec.Containers) {
		sc := c.SecurityContext
		if sc == nil {
			t.Errorf("container %s: no securityContext", c.Name)
			continue
		}
		if sc.Privileged != nil && *sc.Privileged {
			t.Errorf("container %s is privileged", c.Name)
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			t.Errorf("container %s: allowPrivilegeEscalation must be false", c.Name)
		}
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			t.Errorf("container %s: readOnlyRootFilesystem must be true", c.Name)
		}
		if sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) != 0 {
			t.Errorf("container %s: capabilities must drop ALL and add none, got %+v", c.Name, sc.Capabilities)
		}
		writesHost := false
		for _, vm := range c.VolumeMounts {
			if hostPathVols[vm.Name] {
				writesHost = true
			}
		}
		nonRoot := sc.RunAsNonRoot != nil && *sc.RunAsNonRoot && sc.RunAsUser != nil && *sc.RunAsUser != 0
		if !writesHost && !nonRoot {
			t.Errorf("container %s mounts nothing from the host, so it must run as non-root (runAsNonRoot, runAsUser != 0)", c.Name)
		}
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			req, okr := c.Resources.Requests[r]
			lim, okl := c.Resources.Limits[r]
			if !okr || !okl {
				t.Errorf("container %s: %s request and limit must both be set", c.Name, r)
				continue
			}
			if req.Cmp(lim) > 0 {
				t.Errorf("container %s: %s request %s above limit %s", c.Name, r, req.String(), lim.String())
			}
		}
		if lim := c.Resources.Limits[corev1.ResourceMemory]; lim.Value() > 128<<20 {
			t.Errorf("container %s: memory limit %s is not small", c.Name, lim.String())
		}
	}
}
