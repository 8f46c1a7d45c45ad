package hwoffload

import (
	"fmt"
	"strconv"
	"strings"
)

// Flow is one datapath flow from `ovs-appctl dpctl/dump-flows [-m]`.
type Flow struct {
	UFID      string // "" when OVS printed none (no -m)
	Match     string // the raw match, e.g. "recirc_id(0),in_port(repa),eth(...)"
	InPort    string // the in_port(...) value: a port name with -m, a number without
	Packets   uint64
	Bytes     uint64
	Used      string // "0.260s" or "never"
	TCPFlags  string // "flags:" value, "" if absent
	Offloaded string // "yes", "partial" or "no" (absent)
	DP        string // "tc", "ovs" or "dpdk"; "ovs" when absent
	Actions   string // the raw actions, e.g. "ct(zone=1,nat),recirc(0x1)"
	Outputs   []string
	// Unsupported lists what in this flow the nfp flower app (and OVS's TC
	// offload) cannot put in hardware, e.g. "hash(l4(0))" or
	// "dp_hash(0x5/0xf) match"; empty if nothing.
	Unsupported []string
	ExtraInfo   string // "dp-extra-info:" value (userspace datapath)
}

// MatchField returns the value inside name(...) at the top level of the
// match, e.g. MatchField("recirc_id") on "recirc_id(0x2),..." gives "0x2".
func (f Flow) MatchField(name string) (string, bool) {
	for _, item := range splitTop(f.Match, ",") {
		if n, v, ok := call(item); ok && n == name {
			return v, true
		}
	}
	return "", false
}

// ParseDpctlFlows parses the output of `ovs-appctl dpctl/dump-flows`, with or
// without -m and type=...: one flow per line; "flow-dump from ..." headers,
// blank lines and "#" comment lines (a header on a recorded output) are
// skipped. A line that has no "actions:" is an error.
func ParseDpctlFlows(out string) ([]Flow, error) {
	var flows []Flow
	for n, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "flow-dump from") {
			continue
		}
		f, err := parseFlowLine(line)
		if err != nil {
			return nil, fmt.Errorf("dpctl line %d: %w", n+1, err)
		}
		flows = append(flows, f)
	}
	return flows, nil
}

func parseFlowLine(line string) (Flow, error) {
	f := Flow{Offloaded: "no", DP: "ovs"}
	fields := splitTop(line, ", ")
	haveActions, haveStats := false, false
	for i := 0; i < len(fields); i++ {
		key, val, _ := strings.Cut(fields[i], ":")
		switch {
		case key == "ufid" && i == 0:
			f.UFID = val
		case key == "packets":
			n, err := strconv.ParseUint(val, 10, 64)
			if err != nil {
				return f, fmt.Errorf("packets %q: %v", val, err)
			}
			f.Packets, haveStats = n, true
		case key == "bytes":
			n, err := strconv.ParseUint(val, 10, 64)
			if err != nil {
				return f, fmt.Errorf("bytes %q: %v", val, err)
			}
			f.Bytes = n
		case key == "used":
			f.Used = val
		case key == "flags":
			f.TCPFlags = val
		case key == "offloaded":
			f.Offloaded = val
		case key == "dp":
			f.DP = val
		case key == "dp-extra-info":
			f.ExtraInfo = val
		case key == "actions":
			// Actions never contain ", " at the top level; but keep any
			// field up to dp-extra-info so that a future format is not cut.
			acts := []string{val}
			for i+1 < len(fields) && !strings.HasPrefix(fields[i+1], "dp-extra-info:") {
				i++
				acts = append(acts, fields[i])
			}
			f.Actions, haveActions = strings.Join(acts, ", "), true
		case f.Match == "" && !haveStats:
			f.Match = fields[i]
		default:
			return f, fmt.Errorf("unexpected field %q", fields[i])
		}
	}
	if !haveActions || !haveStats {
		return f, fmt.Errorf("not a flow (no packets: or actions:): %q", line)
	}
	f.InPort, _ = f.MatchField("in_port")
	f.Outputs = outputs(f.Actions)
	f.Unsupported = unsupported(f)
	return f, nil
}

// outputs lists the ports the actions send to: bare names or numbers at the
// top level or inside clone(...).
func outputs(actions string) []string {
	var out []string
	for _, a := range splitTop(actions, ",") {
		name, args, isCall := call(a)
		switch {
		case isCall && name == "clone":
			out = append(out, outputs(args)...)
		case isCall || a == "" || bareActions[a] || strings.ContainsAny(a, ":=()"):
		default:
			out = append(out, a)
		}
	}
	return out
}

// bareActions are datapath actions printed without arguments.
var bareActions = map[string]bool{"drop": true, "pop_vlan": true, "pop_eth": true, "pop_nsh": true, "ct_clear": true}

// notOffloadable are datapath actions that OVS's TC offload (and so the nfp
// flower app) rejects.
var notOffloadable = []string{"hash", "dp_hash", "userspace", "sample"}

func unsupported(f Flow) []string {
	var u []string
	for _, a := range splitTop(f.Actions, ",") {
		for _, name := range notOffloadable {
			if containsCall(a, name) {
				u = append(u, a)
				break
			}
		}
	}
	// A flow that matches on dp_hash follows an OVN load-balancer hash();
	// OVS refuses to offload any dp_hash match ("dp_hash isn't supported").
	if v, ok := f.MatchField("dp_hash"); ok && maskedNonZero(v) {
		u = append(u, "dp_hash("+v+") match")
	}
	return u
}

// maskedNonZero reports whether "key/mask" (or an exact "key") matches any bit.
func maskedNonZero(v string) bool {
	key, mask, masked := strings.Cut(v, "/")
	if !masked {
		mask = key
	}
	n, err := strconv.ParseUint(mask, 0, 64)
	return err != nil || n != 0
}

// containsCall reports whether s contains "name(" not preceded by a name
// character, so "hash(" does not match "dp_hash(" or "flow_sample(".
func containsCall(s, name string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], name+"(")
		if j < 0 {
			return false
		}
		j += i
		if j == 0 || !isNameChar(s[j-1]) {
			return true
		}
		i = j + 1
	}
}

func isNameChar(c byte) bool {
	return c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// call splits "name(args)" into name and args.
func call(s string) (name, args string, ok bool) {
	i := strings.IndexByte(s, '(')
	if i <= 0 || !strings.HasSuffix(s, ")") {
		return "", "", false
	}
	return s[:i], s[i+1 : len(s)-1], true
}

// splitTop splits s at sep where no (), {} or [] is open.
func splitTop(s, sep string) []string {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(', '{', '[':
			depth++
		case ')', '}', ']':
			depth--
		default:
			if depth == 0 && strings.HasPrefix(s[i:], sep) {
				parts = append(parts, s[start:i])
				start = i + len(sep)
				i += len(sep) - 1
			}
		}
	}
	if start < len(s) {
		parts = append(parts, s[start:])
	}
	return parts
}

// FlowsFor returns the flows whose in_port or one of whose outputs is port
// (a port name, as printed with -m).
func FlowsFor(flows []Flow, port string) []Flow {
	var out []Flow
	for _, f := range flows {
		if f.InPort == port {
			out = append(out, f)
			continue
		}
		for _, o := range f.Outputs {
			if o == port {
				out = append(out, f)
				break
			}
		}
	}
	return out
}
