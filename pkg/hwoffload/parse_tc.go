package hwoffload

import (
	"fmt"
	"strconv"
	"strings"
)

// TCFilter is one filter from `tc -s filter show dev <dev> ingress`.
type TCFilter struct {
	Protocol  string // "ip", "arp", "ipv6", "all", ...
	Pref      uint32
	Kind      string // "flower", "matchall", ...
	Chain     uint32
	Handle    string   // "0x1"
	Keys      []string // match lines as printed, e.g. "dst_mac 00:00:00:e7:16:ce"
	SkipHW    bool
	SkipSW    bool
	InHW      bool
	NotInHW   bool
	InHWCount uint32 // 0 when not printed
	Actions   []TCAction
}

// TCAction is one "action order N: ..." of a filter, with its statistics.
type TCAction struct {
	Order     int
	Kind      string // "mirred", "ct", "gact", "tunnel_key", "pedit", ...
	Text      string // the rest of the "action order" line
	Device    string // mirred target device, "" otherwise
	Bytes     uint64 // "Sent N bytes M pkt": software plus hardware
	Packets   uint64
	HWBytes   uint64 // "Sent hardware ...", 0 if not printed
	HWPackets uint64
}

// InHardware reports whether the kernel says the filter is in the NIC.
func (f TCFilter) InHardware() bool { return f.InHW || f.InHWCount > 0 }

// Stats returns the first action's counters (every action of a filter sees
// the same packets unless an earlier one drops them).
func (f TCFilter) Stats() (bytes, packets, hwPackets uint64) {
	if len(f.Actions) == 0 {
		return 0, 0, 0
	}
	a := f.Actions[0]
	return a.Bytes, a.Packets, a.HWPackets
}

// ParseTCFilters parses `tc [-s] filter show dev <dev> ingress` output (the
// iproute2 text format). The "filter ... chain N" lines without a handle
// that the kernel prints for each priority, and u32's hash tables, are
// skipped. Lines starting with "#" outside a filter are comments (a header
// on a recorded output); other text before the first filter line is an error.
func ParseTCFilters(out string) ([]TCFilter, error) {
	var filters []TCFilter
	var cur *TCFilter
	var act *TCAction
	for n, raw := range strings.Split(out, "\n") {
		line := strings.TrimSpace(raw)
		words := strings.Fields(line)
		switch {
		case line == "" || cur == nil && strings.HasPrefix(line, "#"):
		case words[0] == "filter":
			f, err := parseFilterHeader(words)
			if err != nil {
				return nil, fmt.Errorf("tc line %d: %w", n+1, err)
			}
			cur, act = nil, nil
			if f.Handle != "" {
				filters = append(filters, f)
				cur = &filters[len(filters)-1]
			}
		case cur == nil:
			if len(filters) == 0 {
				return nil, fmt.Errorf("tc line %d: not tc filter output: %q", n+1, line)
			}
		case strings.HasPrefix(line, "action order "):
			a, err := parseActionLine(line)
			if err != nil {
				return nil, fmt.Errorf("tc line %d: %w", n+1, err)
			}
			cur.Actions = append(cur.Actions, a)
			act = &cur.Actions[len(cur.Actions)-1]
		case act != nil:
			if err := parseActionStats(act, words); err != nil {
				return nil, fmt.Errorf("tc line %d: %w", n+1, err)
			}
		default:
			if err := parseFilterFlags(cur, words); err != nil {
				return nil, fmt.Errorf("tc line %d: %w", n+1, err)
			}
		}
	}
	return filters, nil
}

// parseFilterHeader reads "filter [dev D] [parent P|ingress|root] protocol
// ip pref 2 flower chain 0 [handle 0x1 ...]".
func parseFilterHeader(w []string) (TCFilter, error) {
	var f TCFilter
	for i := 1; i < len(w); i++ {
		next := ""
		if i+1 < len(w) {
			next = w[i+1]
		}
		switch w[i] {
		case "dev", "parent":
			i++
		case "ingress", "egress", "root":
		case "protocol":
			f.Protocol = next
			i++
		case "pref":
			p, err := strconv.ParseUint(next, 10, 32)
			if err != nil {
				return f, fmt.Errorf("pref %q: %v", next, err)
			}
			f.Pref = uint32(p)
			i++
			if i+1 < len(w) {
				f.Kind = w[i+1]
				i++
			}
		case "chain":
			c, err := strconv.ParseUint(next, 10, 32)
			if err != nil {
				return f, fmt.Errorf("chain %q: %v", next, err)
			}
			f.Chain = uint32(c)
			i++
		case "handle", "fh": // u32 prints "fh 800::800"
			f.Handle = next
			i++
		case "divisor": // a u32 hash table ("fh 800: ht divisor 1"), not a filter
			return TCFilter{}, nil
		case "skip_hw", "skip_sw", "in_hw", "not_in_hw", "in_hw_count":
			// u32 prints its flags on the header line.
			n, err := setFlag(&f, w[i], next)
			if err != nil {
				return f, err
			}
			i += n
		default:
			// flower prints "classid X" or "hw_tc N" here; a few kinds
			// print their own options on the header line.
		}
	}
	return f, nil
}

// parseFilterFlags reads the lines between the header and the first action:
// match keys and skip_hw/skip_sw/in_hw [in_hw_count N]/not_in_hw.
func parseFilterFlags(f *TCFilter, w []string) error {
	switch w[0] {
	case "skip_hw", "skip_sw", "in_hw", "not_in_hw":
	default:
		f.Keys = append(f.Keys, strings.Join(w, " "))
		return nil
	}
	for i := 0; i < len(w); i++ {
		next := ""
		if i+1 < len(w) {
			next = w[i+1]
		}
		n, err := setFlag(f, w[i], next)
		if err != nil {
			return err
		}
		i += n
	}
	return nil
}

// setFlag sets the hardware flag named word; for in_hw_count it reads the
// count from next and returns 1, the number of extra words used.
func setFlag(f *TCFilter, word, next string) (int, error) {
	switch word {
	case "skip_hw":
		f.SkipHW = true
	case "skip_sw":
		f.SkipSW = true
	case "in_hw":
		f.InHW = true
	case "not_in_hw":
		f.NotInHW = true
	case "in_hw_count":
		if next == "" {
			return 0, fmt.Errorf("in_hw_count without a value")
		}
		c, err := strconv.ParseUint(next, 10, 32)
		if err != nil {
			return 0, fmt.Errorf("in_hw_count %q: %v", next, err)
		}
		f.InHWCount = uint32(c)
		return 1, nil
	}
	return 0, nil
}

// parseActionLine reads "action order 1: mirred (Egress Redirect to device X) stolen".
func parseActionLine(line string) (TCAction, error) {
	var a TCAction
	head, rest, ok := strings.Cut(strings.TrimPrefix(line, "action order "), ":")
	if !ok {
		return a, fmt.Errorf("bad action line %q", line)
	}
	order, err := strconv.Atoi(head)
	if err != nil {
		return a, fmt.Errorf("action order %q: %v", head, err)
	}
	a.Order, a.Text = order, strings.TrimSpace(rest)
	a.Kind, _, _ = strings.Cut(a.Text, " ")
	if _, dev, ok := strings.Cut(a.Text, " to device "); ok {
		a.Device, _, _ = strings.Cut(dev, ")")
	}
	return a, nil
}

// parseActionStats reads "Sent N bytes M pkt ..." lines (total, software,
// hardware); other action lines (index, cookie, backlog ...) are ignored.
func parseActionStats(a *TCAction, w []string) error {
	if w[0] != "Sent" || len(w) < 2 {
		return nil
	}
	which := ""
	if w[1] == "software" || w[1] == "hardware" {
		which, w = w[1], w[1:]
	}
	if len(w) < 5 || w[2] != "bytes" || w[4] != "pkt" {
		return fmt.Errorf("bad statistics line %q", strings.Join(w, " "))
	}
	b, err1 := strconv.ParseUint(w[1], 10, 64)
	p, err2 := strconv.ParseUint(w[3], 10, 64)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("bad statistics line %q", strings.Join(w, " "))
	}
	switch which {
	case "":
		a.Bytes, a.Packets = b, p
	case "hardware":
		a.HWBytes, a.HWPackets = b, p
	}
	return nil
}
