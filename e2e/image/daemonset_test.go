package image

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// installer is the installer container of conf/daemonset.yaml and the
// path it mounts the host's CNI bin directory at.
type installer struct {
	c         corev1.Container
	mountPath string
}

// daemonSetInstaller reads conf/daemonset.yaml: the test runs what it says.
func daemonSetInstaller(t *testing.T) installer {
	t.Helper()
	b, err := os.ReadFile("../../conf/daemonset.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var ds appsv1.DaemonSet
	if err := yaml.UnmarshalStrict(b, &ds); err != nil {
		t.Fatalf("conf/daemonset.yaml: %v", err)
	}
	spec := ds.Spec.Template.Spec
	hostPath := map[string]bool{}
	for _, v := range spec.Volumes {
		hostPath[v.Name] = v.HostPath != nil
	}
	var found []installer
	for _, c := range append(spec.InitContainers, spec.Containers...) {
		for _, vm := range c.VolumeMounts {
			if hostPath[vm.Name] {
				found = append(found, installer{c: c, mountPath: vm.MountPath})
			}
		}
	}
	if len(found) != 1 {
		t.Fatalf("conf/daemonset.yaml: %d containers mount a hostPath, want one installer", len(found))
	}
	if found[0].c.SecurityContext == nil {
		t.Fatalf("conf/daemonset.yaml: container %s has no securityContext", found[0].c.Name)
	}
	return found[0]
}

// podmanArgs are the arguments of `podman run` that do what the kubelet
// does with the container's securityContext and limits. The network is
// "none": the installer uses none, and the engine's bridge would need the
// machine's netfilter.
func (in installer) podmanArgs() []string {
	a := []string{"--network", "none", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"}
	sc := in.c.SecurityContext
	if sc.RunAsUser != nil {
		u := fmt.Sprint(*sc.RunAsUser)
		if sc.RunAsGroup != nil {
			u += fmt.Sprintf(":%d", *sc.RunAsGroup)
		}
		a = append(a, "--user", u)
	}
	if sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem {
		a = append(a, "--read-only", "--read-only-tmpfs=false")
	}
	if sc.Privileged != nil && *sc.Privileged {
		a = append(a, "--privileged")
	}
	if sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation {
		a = append(a, "--security-opt", "no-new-privileges")
	}
	if sc.Capabilities != nil {
		for _, c := range sc.Capabilities.Drop {
			a = append(a, "--cap-drop", strings.ToLower(string(c)))
		}
		for _, c := range sc.Capabilities.Add {
			a = append(a, "--cap-add", strings.ToLower(string(c)))
		}
	}
	if m, ok := in.c.Resources.Limits[corev1.ResourceMemory]; ok {
		a = append(a, "--memory", fmt.Sprint(m.Value()))
	}
	if c, ok := in.c.Resources.Limits[corev1.ResourceCPU]; ok {
		a = append(a, "--cpus", fmt.Sprintf("%.3f", float64(c.MilliValue())/1000))
	}
	return a
}

// runResult is what a run of the installer container did.
type runResult struct {
	stdout, stderr string
	code           int
	slept          bool // reached --sleep and was stopped with SIGTERM
}

// runOpts vary a run from the DaemonSet's: the volume (-v) options, and
// whether to run as the image's own user instead of the DaemonSet's.
type runOpts struct {
	volumes   []string
	imageUser bool
}

// runInstaller runs the DaemonSet's installer container from image with
// podman: its command, security context and limits. Once it says it
// sleeps, it is stopped as the kubelet stops it (SIGTERM).
func (e *engine) runInstaller(t *testing.T, in installer, image string, o runOpts) runResult {
	t.Helper()
	name := fmt.Sprintf("vfo-e2e-install-%d", time.Now().UnixNano())
	args := []string{"run", "--rm", "--name", name}
	sec := in.podmanArgs()
	if i := slices.Index(sec, "--user"); o.imageUser && i >= 0 {
		sec = slices.Delete(sec, i, i+2)
	}
	args = append(args, sec...)
	for _, v := range o.volumes {
		args = append(args, "-v", v)
	}
	cmd := slices.Concat(in.c.Command, in.c.Args)
	if len(in.c.Command) == 0 {
		t.Fatalf("conf/daemonset.yaml: container %s sets no command", in.c.Name)
	}
	args = append(args, "--entrypoint", cmd[0], image)
	args = append(args, cmd[1:]...)
	c := e.podman(args...)
	stdout, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	c.Stderr = &stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(3*time.Minute, func() {
		t.Logf("container %s still running after 3m; killing it", name)
		_ = e.podman("rm", "--force", "--time", "0", name).Run()
		_ = c.Process.Kill()
	})
	defer timer.Stop()

	var r runResult
	var out strings.Builder
	var stop sync.WaitGroup
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "sleeping until SIGTERM") && !r.slept {
			r.slept = true
			stop.Add(1)
			go func() {
				defer stop.Done()
				if o, err := e.podman("stop", "--time", "30", name).CombinedOutput(); err != nil {
					t.Errorf("podman stop %s: %v\n%s", name, err, o)
				}
			}()
		}
	}
	_, _ = io.Copy(io.Discard, stdout)
	err = c.Wait()
	stop.Wait()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("%s: %v", c, err)
	}
	r.stdout, r.stderr, r.code = out.String(), stderr.String(), c.ProcessState.ExitCode()
	t.Logf("podman %s\n  exit %d\n  stdout: %q\n  stderr: %q", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	return r
}
