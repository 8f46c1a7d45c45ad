package setup

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/vf-offload/vf-offload/pkg/cli"
)

// Result is what `vf-offload setup-pf --json` prints.
type Result struct {
	PF     string `json:"pf"`
	VFs    int    `json:"vfs"`
	DryRun bool   `json:"dryRun"`
	Before Facts  `json:"before"`
	Steps  []Step `json:"steps"` // planned (dry run) or done
	// Cannot are the steps setup-pf cannot check or do on this node.
	Cannot []Step   `json:"cannot"`
	Error  string   `json:"error,omitempty"`
	Notes  []string `json:"notes"`
}

// Main runs `vf-offload setup-pf --pf NETDEV --vfs N [--dry-run] [--json]`
// on the host and returns the exit code: 0 done (or a dry-run plan that can
// succeed), 1 failed, or a step would fail, or a step cannot be checked or
// done here (Result.Cannot), 2 bad usage.
func Main(args []string, stdout, stderr io.Writer) int {
	return run1(Host{}, args, stdout, stderr)
}

const usage = `usage: vf-offload setup-pf --pf NETDEV --vfs N [--dry-run] [--json]

Prepares PF NETDEV on this node for offload, as the Kube-OVN offload guide
does by hand: creates N VFs (sriov_numvfs), switches the eswitch to
switchdev (devlink), turns on hw-tc-offload on the uplink (ethtool) and
brings the uplink and the VF representors up. It re-reads the PF after each
step, so a second run has nothing to do. Selecting the NIC's firmware (the
flower firmware on Corigine Agilio) stays a manual step; setup-pf only says
which firmware is loaded.

Exit code: 0 done, or a dry run whose plan can succeed; 1 a step failed,
would fail, or cannot be checked or done here (listed under "not done");
2 bad usage.
`

func run1(sys System, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vf-offload setup-pf", flag.ContinueOnError)
	pf := fs.String("pf", "", "PF netdev, e.g. ens47np0 (required)")
	vfs := fs.Int("vfs", 0, "number of VFs to create, at least 1 (required)")
	dry := fs.Bool("dry-run", false, "print what would change, change nothing")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if code, done := cli.Parse(fs, args, cli.Usage(fs, usage), stdout, stderr); done {
		return code
	}
	switch {
	case fs.NArg() != 0:
		return cli.Fail(stderr, fs.Name(), fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	case *pf == "":
		return cli.Fail(stderr, fs.Name(), "--pf NETDEV is required")
	case *vfs < 1:
		return cli.Fail(stderr, fs.Name(), fmt.Sprintf("--vfs N is required, at least 1 (got %d)", *vfs))
	}
	r := Result{PF: *pf, VFs: *vfs, DryRun: *dry, Before: sys.Gather(*pf)}
	if r.Before.SRIOV {
		r.Notes = Notes(r.Before)
	}
	var err error
	if *dry {
		var steps []Step
		steps, err = Plan(r.Before, *vfs, true)
		r.Steps, r.Cannot = Split(steps)
	} else {
		r.Steps, r.Cannot, err = Apply(sys, *pf, *vfs, DefaultRepWait)
	}
	code := 0
	if err != nil || len(r.Cannot) > 0 {
		code = 1
	}
	if err != nil {
		r.Error = err.Error()
	}
	for _, s := range r.Steps {
		if s.Fail != "" {
			code = 1
		}
	}
	if r.Steps == nil {
		r.Steps = []Step{}
	}
	if r.Cannot == nil {
		r.Cannot = []Step{}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return 1
		}
		return code
	}
	r.WriteText(stdout)
	if r.Error != "" {
		fmt.Fprintf(stderr, "vf-offload setup-pf: %s\n", r.Error)
	}
	if len(r.Cannot) > 0 {
		fmt.Fprintf(stderr, "vf-offload setup-pf: PF %s is not ready for offload: %d step(s) cannot be checked or done here (listed under \"not done\")\n", r.PF, len(r.Cannot))
	}
	return code
}

// WriteText renders the result for a person.
func (r Result) WriteText(w io.Writer) {
	f := r.Before
	if f.SRIOV {
		esw := f.Eswitch
		if esw == EswitchNone {
			esw = "none (no devlink device)"
		}
		up := f.Uplink
		if up == "" {
			up = "none yet"
		}
		fmt.Fprintf(w, "PF %s (%s): driver %s, VFs %d of %d, eswitch %s, uplink %s, hw-tc-offload %s\n",
			f.PF, f.PCI, orUnknown(f.Driver), f.NumVFs, f.TotalVFs, esw, up, orUnknown(f.HWTCOffload))
	}
	dry := ""
	if r.DryRun {
		dry = "dry run: "
	}
	switch {
	case r.DryRun && len(r.Steps) > 0:
		fmt.Fprintf(w, "dry run: to get %d VFs in switchdev mode, setup-pf would:\n", r.VFs)
	case len(r.Steps) > 0 && r.Error != "":
		fmt.Fprintln(w, "changed before the error:")
	case len(r.Steps) > 0:
		fmt.Fprintln(w, "changed:")
	case r.Error == "" && len(r.Cannot) == 0:
		fmt.Fprintf(w, "%snothing to do: %d VFs, switchdev, hw-tc-offload on, uplink and representors up\n", dry, r.VFs)
	case r.Error == "":
		fmt.Fprintf(w, "%snothing to do that can be done here: %d VFs, uplink and representors up\n", dry, r.VFs)
	}
	for i, s := range r.Steps {
		fmt.Fprintf(w, "  %d. %s\n", i+1, s)
	}
	if len(r.Cannot) > 0 {
		fmt.Fprintln(w, "not done, setup-pf cannot check or change these here (offload needs them):")
		for _, s := range r.Cannot {
			fmt.Fprintf(w, "  - %s\n", s)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}
