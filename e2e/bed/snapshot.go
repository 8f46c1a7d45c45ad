package bed

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// Link is one network device as a snapshot records it.
type Link struct {
	Name, Type, MAC string
	MTU             int
	Up              bool
	Alias           string
	Addrs           []string // IPv4 only
}

// OVSInterface is one row of the OVS Interface table.
type OVSInterface struct {
	Name, Type, Error string
	OFPortOK          bool // ofport > 0 (ofports are never reused, so not the number)
	ExternalIDs       map[string]string
}

// Snapshot is the observable state of a node: links in the node netns and
// in each live pod netns, OVS bridges, ports and interfaces, and the files
// in vf-offload's stateDir. Compare two with Diff.
type Snapshot struct {
	Node       []Link
	Pods       map[string][]Link // by pod name
	Bridges    map[string][]string
	Interfaces []OVSInterface
	State      map[string]string // path relative to StateDir -> content
}

// Snapshot records the node state now.
func (b *Bed) Snapshot() (Snapshot, error) { return b.snapshot(true) }

// SnapshotNoOVS is Snapshot without the OVS part (Bridges and Interfaces
// stay empty), for when ovsdb-server is down.
func (b *Bed) SnapshotNoOVS() (Snapshot, error) { return b.snapshot(false) }

func (b *Bed) snapshot(withOVS bool) (Snapshot, error) {
	s := Snapshot{Pods: map[string][]Link{}, Bridges: map[string][]string{}, State: map[string]string{}}
	var err error
	if s.Node, err = links(b.NodeNS); err != nil {
		return s, err
	}
	for _, p := range b.Pods() {
		if s.Pods[p.Name], err = links(p.Netns); err != nil {
			return s, err
		}
	}
	if withOVS {
		if err := b.snapshotOVS(&s); err != nil {
			return s, err
		}
	}
	err = filepath.WalkDir(b.StateDir, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && path == b.StateDir {
			return filepath.SkipDir // the plugin creates it on first use
		}
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		rel, _ := filepath.Rel(b.StateDir, path)
		s.State[rel] = string(data)
		return err
	})
	if err != nil {
		return s, fmt.Errorf("snapshot stateDir %s: %w", b.StateDir, err)
	}
	return s, nil
}

func links(nsPath string) ([]Link, error) {
	h, err := netns.GetFromPath(nsPath)
	if err != nil {
		return nil, fmt.Errorf("snapshot: open netns %s: %w", nsPath, err)
	}
	defer h.Close()
	nl, err := netlink.NewHandleAt(h)
	if err != nil {
		return nil, fmt.Errorf("snapshot: netlink in %s: %w", nsPath, err)
	}
	defer nl.Close()
	all, err := nl.LinkList()
	if err != nil {
		return nil, fmt.Errorf("snapshot: links in %s: %w", nsPath, err)
	}
	var out []Link
	for _, l := range all {
		a := l.Attrs()
		lk := Link{Name: a.Name, Type: l.Type(), MAC: a.HardwareAddr.String(), MTU: a.MTU, Up: a.Flags&net.FlagUp != 0, Alias: a.Alias}
		addrs, err := nl.AddrList(l, netlink.FAMILY_V4)
		if err != nil {
			return nil, fmt.Errorf("snapshot: addresses of %s in %s: %w", a.Name, nsPath, err)
		}
		for _, ad := range addrs {
			lk.Addrs = append(lk.Addrs, ad.IPNet.String())
		}
		out = append(out, lk)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (b *Bed) snapshotOVS(s *Snapshot) error {
	brs, err := b.OVS.Vsctl("list-br")
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	for _, br := range strings.Fields(brs) {
		ports, err := b.OVS.Vsctl("list-ports", br)
		if err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
		s.Bridges[br] = strings.Fields(ports)
	}
	out, err := b.OVS.Vsctl("--format=json", "--columns=name,type,error,ofport,external_ids", "list", "Interface")
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	var tbl struct{ Data [][]any }
	if err := json.Unmarshal([]byte(out), &tbl); err != nil {
		return fmt.Errorf("snapshot: parse Interface table: %w", err)
	}
	for _, row := range tbl.Data {
		if len(row) != 5 {
			continue
		}
		it := OVSInterface{Name: ovsString(row[0]), Type: ovsString(row[1]), Error: ovsString(row[2]), ExternalIDs: ovsMap(row[4])}
		if f, ok := row[3].(float64); ok && f > 0 {
			it.OFPortOK = true
		}
		s.Interfaces = append(s.Interfaces, it)
	}
	sort.Slice(s.Interfaces, func(i, j int) bool { return s.Interfaces[i].Name < s.Interfaces[j].Name })
	return nil
}

// ovsString decodes an OVSDB JSON string or optional (["set",[]]) string.
func ovsString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return ""
}

func ovsMap(v any) map[string]string {
	m := map[string]string{}
	pair, ok := v.([]any)
	if !ok || len(pair) != 2 || pair[0] != "map" {
		return m
	}
	entries, _ := pair[1].([]any)
	for _, e := range entries {
		if kv, ok := e.([]any); ok && len(kv) == 2 {
			m[fmt.Sprint(kv[0])] = fmt.Sprint(kv[1])
		}
	}
	return m
}

// Lines renders the snapshot as sorted, self-describing lines.
func (s Snapshot) Lines() []string {
	var out []string
	link := func(where string, l Link) string {
		return fmt.Sprintf("%s link %s type=%s mac=%s mtu=%d up=%t alias=%q addrs=%v", where, l.Name, l.Type, l.MAC, l.MTU, l.Up, l.Alias, l.Addrs)
	}
	for _, l := range s.Node {
		out = append(out, link("node", l))
	}
	for pod, ls := range s.Pods {
		for _, l := range ls {
			out = append(out, link("pod "+pod, l))
		}
	}
	for br, ports := range s.Bridges {
		for _, p := range ports {
			out = append(out, fmt.Sprintf("ovs bridge %s port %s", br, p))
		}
	}
	for _, it := range s.Interfaces {
		out = append(out, fmt.Sprintf("ovs interface %s type=%q ofport>0=%t error=%q external_ids=%v", it.Name, it.Type, it.OFPortOK, it.Error, it.ExternalIDs))
	}
	for path, content := range s.State {
		out = append(out, fmt.Sprintf("state %s %q", path, content))
	}
	sort.Strings(out)
	return out
}

func (s Snapshot) String() string { return strings.Join(s.Lines(), "\n") }

// Equal reports whether two snapshots record the same state.
func (s Snapshot) Equal(o Snapshot) bool { return Diff(s, o) == "" }

// Diff lists lines only in a ("- ") and only in b ("+ "); "" when equal.
func Diff(a, b Snapshot) string {
	in := func(ls []string) map[string]bool {
		m := map[string]bool{}
		for _, l := range ls {
			m[l] = true
		}
		return m
	}
	al, bl := a.Lines(), b.Lines()
	am, bm := in(al), in(bl)
	var out []string
	for _, l := range al {
		if !bm[l] {
			out = append(out, "- "+l)
		}
	}
	for _, l := range bl {
		if !am[l] {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}
