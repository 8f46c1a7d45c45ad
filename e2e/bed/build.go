package bed

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// Binaries are the real binaries under <repo>/bin/e2e/real, by CNI type.
type Binaries struct {
	Repo string            // module root
	Dir  string            // <repo>/bin/e2e/real
	Path map[string]string // "vf-offload", "kube-ovn", "portmap", "cnitool", "sriovprobe"
	// Failed holds the build errors of the optional binaries (vf-offload,
	// sriovprobe, being developed alongside): the bed still starts, and
	// their wrapper returns the build error as a CNI error.
	Failed map[string]error
}

// optional binaries may fail to build without failing the bed.
var optional = map[string]bool{"vf-offload": true, "sriovprobe": true}

// Plugins are the binaries that get a wrapper in every bed's CNI_PATH.
var Plugins = []string{"vf-offload", "kube-ovn", "portmap", "sriovprobe"}

var (
	buildOnce sync.Once
	buildBins Binaries
	buildErr  error
)

// Build builds the binaries with `go build` once per process.
func Build() (Binaries, error) {
	buildOnce.Do(func() { buildBins, buildErr = build() })
	return buildBins, buildErr
}

func build() (Binaries, error) {
	repo, err := repoRoot()
	if err != nil {
		return Binaries{}, err
	}
	bins := Binaries{Repo: repo, Dir: filepath.Join(repo, "bin", "e2e", "real"), Path: map[string]string{}, Failed: map[string]error{}}
	if err := os.MkdirAll(bins.Dir, 0o755); err != nil {
		return bins, fmt.Errorf("binary dir: %w", err)
	}
	pkgs := map[string]string{
		"vf-offload": "./plugin",
		"kube-ovn":   "./e2e/kubeovn",
		"portmap":    "github.com/containernetworking/plugins/plugins/meta/portmap",
		"cnitool":    "github.com/containernetworking/cni/cnitool",
	}
	if m, _ := filepath.Glob(filepath.Join(repo, "e2e", "sriovprobe", "*.go")); len(m) > 0 {
		pkgs["sriovprobe"] = "./e2e/sriovprobe"
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	errs := make(chan error, len(pkgs))
	for name, pkg := range pkgs {
		out := filepath.Join(bins.Dir, name)
		bins.Path[name] = out
		wg.Add(1)
		go func() {
			defer wg.Done()
			tmp := fmt.Sprintf("%s.tmp%d", out, os.Getpid())
			cmd := exec.Command("go", "build", "-o", tmp, pkg)
			if name == "vf-offload" { // as `make build` builds what ships: static, no cgo
				cmd = exec.Command("go", "build", "-trimpath", "-o", tmp, pkg)
				cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			}
			cmd.Dir = repo
			if b, err := cmd.CombinedOutput(); err != nil {
				err = fmt.Errorf("go build %s: %w: %s", pkg, err, b)
				if optional[name] {
					mu.Lock()
					bins.Failed[name] = err
					mu.Unlock()
					return
				}
				errs <- err
				return
			}
			if err := os.Rename(tmp, out); err != nil {
				errs <- fmt.Errorf("install %s: %w", name, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return bins, err
	}
	return bins, nil
}

// repoRoot finds the module root from the working directory, else from this file.
func repoRoot() (string, error) {
	starts := []string{}
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if _, file, _, ok := runtime.Caller(0); ok {
		starts = append(starts, filepath.Dir(file))
	}
	for _, d := range starts {
		for ; ; d = filepath.Dir(d) {
			if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil &&
				strings.Contains(string(b), "module github.com/vf-offload/vf-offload\n") {
				return d, nil
			}
			if d == filepath.Dir(d) {
				break
			}
		}
	}
	return "", fmt.Errorf("module root of github.com/vf-offload/vf-offload not found")
}

// writeWrappers writes one script per plugin into CNIPath. Each records its
// stdin under CallsDir, then runs the real binary in the node netns (through
// the emulated NIC's wrapper, which adds the fake sysfs, when there is one).
func (b *Bed) writeWrappers() error {
	names := slices.Clone(Plugins)
	for name := range b.opts.Plugins {
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	for _, name := range names {
		real, ok := b.Bins.Path[name]
		if !ok {
			continue
		}
		if berr := b.Bins.Failed[name]; berr != nil {
			b.opts.Logf("bed: %s did not build; its wrapper returns the build error", name)
			msg, _ := json.Marshal(map[string]any{"cniVersion": "1.0.0", "code": 999, "msg": name + " did not build", "details": berr.Error()})
			script := fmt.Sprintf("#!/bin/sh\ncat >/dev/null\ncat <<'EOF'\n%s\nEOF\nexit 1\n", msg)
			if err := os.WriteFile(filepath.Join(b.CNIPath, name), []byte(script), 0o755); err != nil {
				return fmt.Errorf("wrapper %s: %w", name, err)
			}
			continue
		}
		run := fmt.Sprintf("exec nsenter --net=%s -- %s \"$@\" <\"$f\"", b.NodeNS, real)
		if b.NIC != nil {
			inner := filepath.Join(b.Dir, "wrap", name)
			if err := os.WriteFile(inner, []byte(b.NIC.WrapperScript(real)), 0o755); err != nil {
				return fmt.Errorf("wrapper %s: %w", inner, err)
			}
			run = fmt.Sprintf("exec %s \"$@\" <\"$f\"", inner)
		}
		script := fmt.Sprintf("#!/bin/sh\n# %s in bed %s\nf=%s/$(date +%%s%%N)-%s-${CNI_COMMAND:-none}.json\ncat >\"$f\"\n%s\n",
			name, b.ID, b.CallsDir, name, run)
		if err := os.WriteFile(filepath.Join(b.CNIPath, name), []byte(script), 0o755); err != nil {
			return fmt.Errorf("wrapper %s: %w", name, err)
		}
	}
	return nil
}
