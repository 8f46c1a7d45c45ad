package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// On a machine as noisy as this one, two runs of the bench a few minutes
// apart differ by more than most changes do. -ab OLD compares the plugin
// built from this tree with another vf-offload binary (say, built from an
// earlier commit) sample by sample on one bed: each sample runs both, in
// alternating order, so that both see the same moment of the machine.
var (
	abOld       = flag.String("ab", "", "another vf-offload binary: compare it with this tree's, sample by sample (A/B), and report only that")
	abOffloaded = flag.Bool("ab-offloaded", false, "with -ab: Kube-OVN's part leaves the already-offloaded state instead of the veth state")
)

type abSeries struct {
	variant, ports       string
	add, del, padd, pdel []time.Duration // libcni, and in the plugin (its log)
}

// install puts binary bin where the bed's wrappers run vf-offload from.
func (bn *bench) install(bin string) error {
	dst := bn.b.Bins.Path["vf-offload"]
	tmp := dst + ".ab-tmp"
	if err := copyFile(bin, tmp); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}

// abRun measures both binaries at 10 and at -ports other ports.
func (bn *bench) abRun() ([]abSeries, error) {
	cur := bn.b.Bins.Path["vf-offload"]
	mine := filepath.Join(filepath.Dir(cur), "vf-offload.ab-new")
	if err := copyFile(cur, mine); err != nil {
		return nil, err
	}
	defer func() { _ = bn.install(mine) }()
	names := []string{"this tree", *abOld}
	bins := []string{mine, *abOld}
	var out []abSeries
	for _, ports := range []int{10, *bigPort} {
		if _, err := bn.dummyPorts(ports); err != nil {
			return nil, err
		}
		label := fmt.Sprint(ports)
		ser := []*abSeries{{variant: names[0], ports: label}, {variant: names[1], ports: label}}
		for i := 0; i < *runs; i++ {
			for k := range 2 {
				v := (i + k) % 2 // alternate which one goes first
				if err := bn.install(bins[v]); err != nil {
					return nil, err
				}
				from := bn.logSize()
				s, err := bn.pluginSample(i, *abOffloaded)
				if err != nil {
					return nil, fmt.Errorf("%s, sample %d at %s ports: %w", names[v], i, label, err)
				}
				st, err := bn.stepTimes(from)
				if err != nil {
					return nil, err
				}
				r := ser[v]
				r.add, r.del = append(r.add, s[0]), append(r.del, s[2])
				for _, t := range st {
					switch t.name {
					case "ADD in the plugin (total)":
						r.padd = append(r.padd, t.d...)
					case "DEL in the plugin (total)":
						r.pdel = append(r.pdel, t.d...)
					}
				}
			}
			logf("A/B %s ports: sample %d done", label, i)
		}
		for v := range bins {
			if err := bn.install(bins[v]); err != nil {
				return nil, err
			}
			if err := bn.reconfigs(label + ", " + names[v]); err != nil {
				return nil, err
			}
		}
		out = append(out, *ser[0], *ser[1])
	}
	return out, nil
}

func (bn *bench) abReport(ser []abSeries, total time.Duration) error {
	var w bytes.Buffer
	state := "veth state"
	if *abOffloaded {
		state = "already-offloaded state"
	}
	tableHead(&w, fmt.Sprintf("A/B, sample by sample on one bed (%s, %d samples each; p50 / p95):", state, *runs),
		"binary", "other ports", "ADD (libcni)", "DEL (libcni)", "ADD in the plugin", "DEL in the plugin")
	for _, s := range ser {
		fmt.Fprintf(&w, "| %s | %s | %s | %s | %s | %s |\n", s.variant, s.ports, pp(s.add), pp(s.del), pp(s.padd), pp(s.pdel))
	}
	bn.reconfReport(&w)
	fmt.Fprintf(&w, "\nrun: %s, total %s\n", time.Now().UTC().Format(time.RFC3339), total.Round(time.Second))
	return writeOut(&w)
}

func pp(d []time.Duration) string {
	if len(d) == 0 {
		return "-"
	}
	return ms(pct(d, .5)) + " / " + ms(pct(d, .95))
}
