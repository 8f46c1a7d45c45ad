package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// The cost of starting the binary: `CNI_COMMAND=VERSION vf-offload` (the
// runtime's cheapest call: package initialisation, reading the environment,
// printing the supported versions) against a Go hello world built the same
// way, both started directly by the bench (fork, exec, run, wait), in
// alternating order so that both see the same moments of the machine.
var startN = flag.Int("startup", 300, "samples of the start-up cost of vf-offload (CNI_COMMAND=VERSION) and of a Go hello world, each")

// buildHello builds e2e/bench/hello as `make build` builds vf-offload.
func (bn *bench) buildHello() (string, error) {
	bin := filepath.Join(bn.b.Bins.Repo, "bin", "bench", "hello")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, "./e2e/bench/hello")
	cmd.Dir, cmd.Env = bn.b.Bins.Repo, append(os.Environ(), "CGO_ENABLED=0")
	if o, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build hello world: %w: %s", err, o)
	}
	return bin, nil
}

// startup times vf-offload's VERSION call and the hello world, startN each.
func (bn *bench) startup() error {
	if *startN <= 0 {
		return nil
	}
	hello, err := bn.buildHello()
	if err != nil {
		return err
	}
	// The binary the bed's wrappers run: the one `make build` makes from this tree.
	vfo := bn.b.Bins.Path["vf-offload"]
	env := append(os.Environ(), "CNI_COMMAND=VERSION")
	once := func(bin string, env []string) (time.Duration, error) {
		cmd := exec.Command(bin)
		cmd.Env = env
		t := time.Now()
		o, err := cmd.CombinedOutput()
		d := time.Since(t)
		if err != nil {
			return 0, fmt.Errorf("%s: %w: %s", bin, err, o)
		}
		return d, nil
	}
	// Warm-up: page cache, first exec.
	for range 5 {
		if _, err := once(vfo, env); err != nil {
			return err
		}
		if _, err := once(hello, os.Environ()); err != nil {
			return err
		}
	}
	var v, h []time.Duration
	for i := 0; i < *startN; i++ {
		for k := range 2 {
			if (i+k)%2 == 0 {
				d, err := once(vfo, env)
				if err != nil {
					return err
				}
				v = append(v, d)
			} else {
				d, err := once(hello, os.Environ())
				if err != nil {
					return err
				}
				h = append(h, d)
			}
		}
	}
	bn.record(startVFO, "-", "fork+exec+wait from the bench, bare process, alternating with the hello world", v, 0)
	bn.record(startHello, "-", "e2e/bench/hello, built like `make build` (static, -trimpath)", h, 0)
	return nil
}

const (
	startVFO   = "start-up: CNI_COMMAND=VERSION vf-offload"
	startHello = "start-up: Go hello world"
)
