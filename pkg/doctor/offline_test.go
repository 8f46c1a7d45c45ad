package doctor

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const (
	podA = "3f8a1c6e90b2_h" // pod A's representor in the mlx5 samples
	podB = "9d04e7b15a3c_h"
)

func testdata(name string) string { return filepath.Join("..", "hwoffload", "testdata", name) }

// runDoctor runs Main and returns stdout, stderr and the exit code.
func runDoctor(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(args, &out, &errOut)
	return out.String(), errOut.String(), code
}

func doctorJSON(t *testing.T, args ...string) Report {
	t.Helper()
	out, stderr, code := runDoctor(t, append(args, "--json")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	return r
}

// TestRecordedGuideSample runs doctor on the user guide's recorded
// `dpctl/dump-flows -m type=offloaded` output. The OVSDB and stateDir flags
// point nowhere: a recorded run must not try them.
func TestRecordedGuideSample(t *testing.T) {
	r := doctorJSON(t, "--flows-file", testdata("dpctl_guide_offloaded.txt"),
		"--ovs-other-config", "hw-offload=true,tc-policy=none", "--datapath-type", "system",
		"--ovsdb", "unix:/nonexistent/db.sock", "--state-dir", "/nonexistent")
	n := r.Node
	if n.Source != "recorded" || n.OVSDBReachable || n.HWOffload != "true" || n.TCPolicy != "none" ||
		n.DatapathType != "system" || len(n.Problems) != 0 || len(n.Uplinks) != 0 || len(n.Inputs) != 2 {
		t.Errorf("node: %+v", n)
	}
	if len(r.Pods) != 2 || r.Pods[0].Representor != "5b45c61b307e_h" || r.Pods[1].Representor != "54235e5753b8_h" {
		t.Fatalf("ports (every in_port of the dump): %+v", r.Pods)
	}
	for _, p := range r.Pods {
		if p.Verdict != "offloaded" || p.Reason != "offloaded: 2 of 2 flows in hardware" || len(p.Flows) != 2 ||
			p.TCSource != "" || len(p.Problems) != 0 || p.Container != "" {
			t.Errorf("port %s: %+v", p.Representor, p)
		}
	}
	if f := r.Pods[0].Flows[0]; f.Offloaded != "yes" || f.DP != "tc" || f.Packets != 941539 || f.Bytes != 62142230 || f.Outputs != "54235e5753b8_h" {
		t.Errorf("flow: %+v", f)
	}
}

func TestRecordedMlx5Partly(t *testing.T) {
	r := doctorJSON(t, "--flows-file", testdata("dpctl_mlx5_partly.txt"),
		"--tc-file", podA+"="+testdata("tc_mlx5_rep_mixed.txt"), "--port", podA, "--port", podB,
		"--ovs-other-config", "hw-offload=true,tc-policy=none", "--datapath-type", "system")
	if r.Node.LBFlows != 2 || len(r.Node.Problems) != 0 {
		t.Errorf("node: %+v", r.Node)
	}
	if len(r.Pods) != 2 {
		t.Fatalf("want ports A and B, got %+v", r.Pods)
	}
	a, b := r.Pods[0], r.Pods[1]
	if a.Representor != podA || a.Verdict != "partly offloaded" ||
		!strings.HasPrefix(a.Reason, "partly offloaded: flow action hash(l4(0)) cannot be offloaded by the NIC: OVN load balancing") {
		t.Errorf("pod A: %s / %s", a.Verdict, a.Reason)
	}
	if a.TCSource != testdata("tc_mlx5_rep_mixed.txt") || len(a.TCFilters) != 2 {
		t.Fatalf("pod A filters from %q: %+v", a.TCSource, a.TCFilters)
	}
	want := []TCFilter{
		{Protocol: "ip", Pref: 2, Kind: "flower", Handle: "0x1", Flags: []string{"in_hw"}, InHardware: true, InHWCount: 1,
			Packets: 1207311, HWPackets: 1207311, Bytes: 1810966500, Actions: []string{"mirred(" + podB + ")"}},
		{Protocol: "ipv6", Pref: 3, Kind: "flower", Handle: "0x1", Flags: []string{"not_in_hw"},
			Packets: 12, Bytes: 18168, Actions: []string{"mirred(" + podB + ")"}},
	}
	if !reflect.DeepEqual(a.TCFilters, want) {
		t.Errorf("pod A filters:\n got %+v\nwant %+v", a.TCFilters, want)
	}
	// B's own flow is offloaded; A's flows that output to B count too.
	if b.TCSource != "" || b.Verdict != "partly offloaded" ||
		b.Reason != "partly offloaded: 2 of 4 flows in hardware, 1 in TC software only, 1 in the OVS datapath" {
		t.Errorf("pod B: %+v", b)
	}
}

func TestRecordedMlx5Offloaded(t *testing.T) {
	r := doctorJSON(t, "--flows-file", testdata("dpctl_mlx5_offloaded.txt"), "--port", podA+","+podB,
		"--ovs-other-config", "hw-offload=true")
	if len(r.Pods) != 2 {
		t.Fatalf("pods: %+v", r.Pods)
	}
	if p := r.Pods[0]; p.Verdict != "offloaded" || p.Reason != "offloaded: 6 of 6 flows in hardware" {
		t.Errorf("pod A: %s / %s", p.Verdict, p.Reason)
	}
	if p := r.Pods[1]; p.Verdict != "offloaded" || p.Reason != "offloaded: 3 of 3 flows in hardware" {
		t.Errorf("pod B: %s / %s", p.Verdict, p.Reason)
	}
	// Without other_config the same kernel-datapath flows would be blamed
	// on hw-offload; with these offloaded flows the evidence wins.
	r = doctorJSON(t, "--flows-file", testdata("dpctl_mlx5_offloaded.txt"), "--port", podA)
	if p := r.Pods[0]; p.Verdict != "offloaded" || r.Node.HWOffload != "" {
		t.Errorf("without other_config: %+v", p)
	}
}

// TestRecordedFiltersOnly: tc output with no flows for the port (recorded
// on the bed's kernel: u32 filters on a veth, skip_hw and not).
func TestRecordedFiltersOnly(t *testing.T) {
	r := doctorJSON(t, "--flows-file", testdata("dpctl_guide_offloaded.txt"),
		"--tc-file", "rep0="+testdata("tc_u32_veth_real.txt"), "--ovs-other-config", "hw-offload=true")
	if len(r.Pods) != 1 || r.Pods[0].Representor != "rep0" {
		t.Fatalf("ports (the --tc-file ones): %+v", r.Pods)
	}
	p := r.Pods[0]
	if p.Verdict != "not offloaded" || !strings.HasPrefix(p.Reason, "not offloaded: none of the 2 TC filters on rep0 is in hardware (not_in_hw; 1 with skip_hw)") {
		t.Errorf("verdict: %s / %s", p.Verdict, p.Reason)
	}
	if len(p.TCFilters) != 2 || !reflect.DeepEqual(p.TCFilters[0].Flags, []string{"skip_hw", "not_in_hw"}) || p.TCFilters[0].Handle != "800::800" {
		t.Errorf("filters: %+v", p.TCFilters)
	}
}

func TestRecordedText(t *testing.T) {
	out, _, code := runDoctor(t, "--flows-file", testdata("dpctl_mlx5_partly.txt"),
		"--tc-file", podA+"="+testdata("tc_mlx5_rep_mixed.txt"),
		"--ovs-other-config", "hw-offload=true,tc-policy=none", "--datapath-type", "system")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{
		"Node (recorded outputs: nothing was read from this machine)\n",
		"  input: datapath flows: " + testdata("dpctl_mlx5_partly.txt") + " (6 flows)\n",
		"  bridge br-int: datapath_type=\"system\"\n",
		"  datapath flows with hash/dp_hash actions (OVN load balancing; OVS cannot offload them to TC): 2\n",
		"Port " + podA + "\n",
		"  flow in_port(" + podA + ") -> actions:hash(l4(0)),recirc(0x31): offloaded:no dp:ovs packets:2214 bytes:165120\n",
		"  tc filters on ingress (from " + testdata("tc_mlx5_rep_mixed.txt") + "): 2\n",
		"    ip pref 2 flower chain 0 handle 0x1: in_hw -> hardware, packets:1207311 hw_packets:1207311 actions:mirred(" + podB + ")\n",
		"    ipv6 pref 3 flower chain 0 handle 0x1: not_in_hw -> software only, packets:12 hw_packets:0 actions:mirred(" + podB + ")\n",
		"  verdict: partly offloaded: flow action hash(l4(0)) cannot be offloaded",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q\n%s", want, out)
		}
	}
	if strings.Count(out, "Port ") != 1 {
		t.Errorf("with --tc-file for A only, only A is reported:\n%s", out)
	}
}

func TestRecordedBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"--tc-file", "rep0"},
		{"--tc-file", "rep0=a", "--tc-file", "rep0=b"},
		{"--ovs-other-config", "hw-offload"},
		{"--port", "a,,b"},
		{"--datapath-type", "system"},
		{"--flows-file", "x", "--pod", "default/a"},
		{"--flows-file", "x", "extra"},
	} {
		if out, stderr, code := runDoctor(t, args...); code != 2 || out != "" ||
			!strings.HasSuffix(stderr, "Run 'vf-offload doctor --help' for usage.\n") || strings.Count(stderr, "\n") != 2 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2, nothing on stdout, one line and the hint on stderr", args, code, out, stderr)
		}
	}
	// A file that cannot be read or parsed is a problem in the report.
	r := doctorJSON(t, "--flows-file", "/nonexistent/flows.txt", "--tc-file", "rep0="+testdata("dpctl_guide_offloaded.txt"))
	if len(r.Node.Problems) != 1 || !strings.Contains(r.Node.Problems[0], "/nonexistent/flows.txt") {
		t.Errorf("node problems: %q", r.Node.Problems)
	}
	if len(r.Pods) != 1 || len(r.Pods[0].Problems) != 1 || !strings.Contains(r.Pods[0].Problems[0], "dpctl_guide_offloaded.txt") {
		t.Errorf("a dpctl file given as tc output: %+v", r.Pods)
	}
	out, stderr, code := runDoctor(t, "--help")
	if code != 0 || stderr != "" || !strings.Contains(out, "--flows-file FILE") || !strings.Contains(out, "--tc-file REP=FILE") ||
		!strings.Contains(out, "-ovs-other-config") {
		t.Errorf("--help (exit %d):\n%s\nstderr: %s", code, out, stderr)
	}
}
