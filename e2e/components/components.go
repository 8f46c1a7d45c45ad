// Package components finds the real third-party components the end-to-end
// tests run against (Multus, kube-apiserver, Kube-OVN), built by build.sh at
// the versions pinned in versions.env, and announces each one a test run
// uses with a "component: <name> <version> <path>" line.
package components

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// Component is one real binary the tests run.
type Component struct {
	Name    string // multus, kube-apiserver, kube-ovn, kube-ovn-daemon, etcd, ovs-vswitchd
	Version string
	Path    string
}

// Set is every component of versions.env with its binary's path.
type Set struct {
	Dir    string               // VFO_COMPONENTS_DIR
	Pinned map[string]string    // versions.env, KEY -> value
	ByName map[string]Component // by Component.Name
}

// DefaultDir is where build.sh puts the binaries unless VFO_COMPONENTS_DIR says otherwise.
const DefaultDir = "/var/cache/vf-offload/components"

// Load reads versions.env and locates the binaries. It does not check that
// they exist: Missing does.
func Load() (*Set, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return nil, errors.New("components: cannot locate versions.env")
	}
	data, err := os.ReadFile(filepath.Join(filepath.Dir(file), "versions.env"))
	if err != nil {
		return nil, fmt.Errorf("components: %w", err)
	}
	s := &Set{Dir: DefaultDir, Pinned: parseEnv(data), ByName: map[string]Component{}}
	if d := os.Getenv("VFO_COMPONENTS_DIR"); d != "" {
		s.Dir = d
	}
	add := func(name, versionKey string) {
		s.ByName[name] = Component{Name: name, Version: s.Pinned[versionKey], Path: filepath.Join(s.Dir, "bin", name)}
	}
	add("multus", "MULTUS_VERSION")
	add("kube-apiserver", "KUBERNETES_VERSION")
	add("kube-ovn", "KUBE_OVN_VERSION")
	add("kube-ovn-daemon", "KUBE_OVN_VERSION")
	return s, nil
}

func parseEnv(data []byte) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			out[k] = v
		}
	}
	return out
}

// Get returns the named component (zero value if unknown).
func (s *Set) Get(name string) Component { return s.ByName[name] }

// Manifest returns the path of a manifest build.sh copied out of a
// component's source (multus-daemonset.yml, kube-ovn-crd.yaml).
func (s *Set) Manifest(name string) string { return filepath.Join(s.Dir, "manifests", name) }

// Missing names what is not there among the given components, with the
// command that builds them.
func (s *Set) Missing(names ...string) error {
	var miss []string
	for _, n := range names {
		c, ok := s.ByName[n]
		if !ok {
			miss = append(miss, n+" (unknown)")
			continue
		}
		if _, err := os.Stat(c.Path); err != nil {
			miss = append(miss, c.Path)
		}
	}
	if len(miss) == 0 {
		return nil
	}
	return fmt.Errorf("real components not built: %s (run `make components`, or e2e/components/build.sh)", strings.Join(miss, ", "))
}

// System adds a component found on PATH (etcd, ovs-vswitchd), with the
// version its --version prints.
func (s *Set) System(name string, versionArgs ...string) (Component, error) {
	path, err := exec.LookPath(name)
	if err != nil {
		return Component{}, fmt.Errorf("%s not found on PATH: %w", name, err)
	}
	out, _ := exec.Command(path, versionArgs...).CombinedOutput()
	c := Component{Name: name, Version: firstVersion(string(out)), Path: path}
	s.ByName[name] = c
	return c, nil
}

// firstVersion picks the first word that looks like a version number.
func firstVersion(out string) string {
	for _, w := range strings.Fields(out) {
		w = strings.TrimPrefix(strings.Trim(w, "(),:"), "v")
		if len(w) > 2 && w[0] >= '0' && w[0] <= '9' && strings.Count(w, ".") >= 1 {
			return "v" + w
		}
	}
	return "unknown"
}

var announced sync.Map

// Announce prints "component: <name> <version> <path>" for each named
// component, once per process.
func (s *Set) Announce(w io.Writer, names ...string) {
	for _, n := range names {
		c := s.ByName[n]
		if _, dup := announced.LoadOrStore(n, true); dup {
			continue
		}
		fmt.Fprintf(w, "component: %s %s %s\n", c.Name, c.Version, c.Path)
	}
}
