package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/containernetworking/cni/pkg/invoke"
	"github.com/containernetworking/cni/pkg/types"
	"github.com/containernetworking/cni/pkg/version"
)

// rusageExec is libcni's exec with each child's peak RSS recorded, so the
// plugin's peak RSS comes from the very calls that are timed. Every call
// runs through the rusage shim (e2e/bench/rusage): the bench's own peak RSS
// would otherwise be reported as the call's (see the shim's doc), e.g. the
// bench's growth during the burst as the RSS of every later call. ru_maxrss
// of a reaped child is the largest of its own and its reaped descendants',
// so it covers the wrapper's processes (sh, cat, nsenter)
// and the plugin.
type rusageExec struct {
	shim    string // the rusage shim's binary
	mu      sync.Mutex
	phase   string // label of the calls being made, set by the bench
	samples []rssSample
}

type rssSample struct {
	phase, bin, verb string
	kib              int64 // ru_maxrss
}

// setPhase labels the calls made from now on.
func (e *rusageExec) setPhase(p string) {
	e.mu.Lock()
	e.phase = p
	e.mu.Unlock()
}

// run runs cmd (not started yet) through the shim and records its peak RSS
// under bin and verb.
func (e *rusageExec) run(cmd *exec.Cmd, bin, verb string) error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	cmd.Args = append([]string{e.shim, cmd.Path}, cmd.Args[1:]...)
	cmd.Path = e.shim
	cmd.ExtraFiles = append(cmd.ExtraFiles, w) // fd 3 in the shim
	err = cmd.Run()
	w.Close()
	out, _ := io.ReadAll(r)
	if kib, perr := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64); perr == nil {
		e.mu.Lock()
		e.samples = append(e.samples, rssSample{phase: e.phase, bin: bin, verb: verb, kib: kib})
		e.mu.Unlock()
	}
	return err
}

// combined is cmd.CombinedOutput through run.
func (e *rusageExec) combined(cmd *exec.Cmd, bin, verb string) ([]byte, error) {
	var b bytes.Buffer
	cmd.Stdout, cmd.Stderr = &b, &b
	err := e.run(cmd, bin, verb)
	return b.Bytes(), err
}

func (e *rusageExec) ExecPlugin(ctx context.Context, path string, stdin []byte, env []string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, path)
	cmd.Env, cmd.Stdin, cmd.Stdout, cmd.Stderr = env, bytes.NewReader(stdin), &stdout, &stderr
	verb := "?"
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "CNI_COMMAND="); ok {
			verb = v
		}
	}
	err := e.run(cmd, filepath.Base(path), verb)
	if err != nil {
		var perr types.Error
		if json.Unmarshal(stdout.Bytes(), &perr) == nil && perr.Code != 0 {
			return nil, &perr
		}
		return nil, fmt.Errorf("%s: %w: %s%s", path, err, stdout.String(), stderr.String())
	}
	return stdout.Bytes(), nil
}

func (e *rusageExec) FindInPath(p string, paths []string) (string, error) {
	return invoke.FindInPath(p, paths)
}

func (e *rusageExec) Decode(b []byte) (version.PluginInfo, error) {
	return (&version.PluginDecoder{}).Decode(b)
}

// rss returns the sorted ru_maxrss values (KiB) of bin's verb calls in
// phase ("" for every phase).
func (e *rusageExec) rss(phase, bin, verb string) []int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	var v []int64
	for _, s := range e.samples {
		if (phase == "" || s.phase == phase) && s.bin == bin && s.verb == verb {
			v = append(v, s.kib)
		}
	}
	sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
	return v
}

// rssReport writes the peak RSS of each verb of vf-offload per phase, of
// the floor, and of the bed wrapper running /bin/true (the least any call
// through it can show).
func (bn *bench) rssReport(w io.Writer) {
	mib := func(kib int64) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }
	tableHead(w, "Peak RSS (ru_maxrss of wrapper+plugin) per phase:", "phase", "call", "n", "p50", "max")
	var phases []string
	seen := map[string]bool{}
	bn.ex.mu.Lock()
	for _, s := range bn.ex.samples {
		if !seen[s.phase] {
			seen[s.phase] = true
			phases = append(phases, s.phase)
		}
	}
	bn.ex.mu.Unlock()
	for _, ph := range phases {
		for _, c := range [][3]string{{"vf-offload", "ADD", ""}, {"vf-offload", "CHECK", ""}, {"vf-offload", "DEL", ""},
			{"floor", "ADD", "floor ADD via bed wrapper"}, {"floor-bare", "ADD", "floor ADD, bare process"},
			{"noop", "-", "bed wrapper alone (/bin/true)"}} {
			v := bn.ex.rss(ph, c[0], c[1])
			if len(v) == 0 {
				continue
			}
			name := c[2]
			if name == "" {
				name = c[0] + " " + c[1]
			}
			fmt.Fprintf(w, "| %s | %s | %d | %s | %s |\n", ph, name, len(v), mib(pct64(v, .5)), mib(v[len(v)-1]))
		}
	}
}
