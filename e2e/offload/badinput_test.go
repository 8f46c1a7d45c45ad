package offload_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containernetworking/cni/pkg/invoke"
	"github.com/containernetworking/cni/pkg/types"
	current "github.com/containernetworking/cni/pkg/types/100"

	"github.com/vf-offload/vf-offload/e2e/bed"
	"github.com/vf-offload/vf-offload/e2e/nic"
)

// badCase is one entry of the bad-input corpus: vf-offload alone, run by
// invoke exactly as libcni runs it, with stdin and environment built here.
type badCase struct {
	name string
	verb string // "ADD" (default) or "DEL"
	// conf changes the base configuration (a valid ADD of VF 0 for pod a
	// with Kube-OVN's result as prevResult); raw, when set, is stdin as is.
	conf func(m map[string]any)
	raw  func() []byte
	// env changes the CNI environment.
	env func(a *invoke.Args)
	// code is the CNI error code wanted; anyCode accepts any non-zero one.
	code uint
	// want are substrings the error must contain: the bad value or the reason.
	want []string
	// ok: not an error (e.g. an empty device ID is a pass-through).
	ok bool
	// check runs extra assertions after the call.
	check func(t *testing.T)
	// upstream, when set, explains why an oversized error is not
	// vf-offload's to truncate: it is reported in the table, not failed.
	upstream string
}

const anyCode = 0

// biBig is the 10 KB filler of the oversized values; no error or log line
// may contain it whole (or even a 1 KB run of it).
var biBig = strings.Repeat("A", 10*1024)

// biSet sets a dotted key ("runtimeConfig.deviceID") in m.
func biSet(kv ...any) func(m map[string]any) {
	return func(m map[string]any) {
		for i := 0; i+1 < len(kv); i += 2 {
			keys := strings.Split(kv[i].(string), ".")
			cur := m
			for _, k := range keys[:len(keys)-1] {
				next, ok := cur[k].(map[string]any)
				if !ok {
					next = map[string]any{}
					cur[k] = next
				}
				cur = next
			}
			cur[keys[len(keys)-1]] = kv[i+1]
		}
	}
}

// biDel deletes top-level or dotted keys.
func biDel(keys ...string) func(m map[string]any) {
	return func(m map[string]any) {
		for _, key := range keys {
			ks := strings.Split(key, ".")
			cur := m
			for _, k := range ks[:len(ks)-1] {
				cur, _ = cur[k].(map[string]any)
				if cur == nil {
					break
				}
			}
			if cur != nil {
				delete(cur, ks[len(ks)-1])
			}
		}
	}
}

func biAll(fs ...func(m map[string]any)) func(m map[string]any) {
	return func(m map[string]any) {
		for _, f := range fs {
			f(m)
		}
	}
}

// biDevInfo is a device-info file only (no deviceID anywhere).
func biDevInfo(path string) func(m map[string]any) {
	return biAll(biDel("runtimeConfig.deviceID", "deviceID", "pciBusID"), biSet("runtimeConfig.CNIDeviceInfoFile", path))
}

// biPrev edits prevResult.
func biPrev(f func(p map[string]any)) func(m map[string]any) {
	return func(m map[string]any) { f(m["prevResult"].(map[string]any)) }
}

func biClone(m map[string]any) map[string]any {
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	out := map[string]any{}
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

func biWrite(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// biStateFiles lists everything in stateDir (a missing dir is empty).
func biStateFiles(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if errors.Is(err, os.ErrNotExist) && p == dir {
			return filepath.SkipDir
		}
		if err != nil {
			return err
		}
		if p != dir {
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

func TestBadInput(t *testing.T) {
	e := newEnv(t, nic.Agilio(), 2)
	a := e.pod("a")
	vf := e.b.NIC.VFs[0]
	pf := e.b.NIC.PFPCI

	// Kube-OVN (stand-in) wires pod a; its result is every case's prevResult.
	kc := e.b.ChainKubeOVN(false)
	r, err := e.b.Add(e.ctx, kc, a, "eth0", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := current.NewResultFromResult(r)
	if err != nil {
		t.Fatal(err)
	}
	prevJSON, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	prev := map[string]any{}
	if err := json.Unmarshal(prevJSON, &prev); err != nil {
		t.Fatal(err)
	}
	base := e.b.VFOffload()
	delete(base, "capabilities")
	base["name"] = kc.Name
	base["cniVersion"] = "1.1.0"
	base["runtimeConfig"] = map[string]any{"deviceID": vf.PCI}
	base["prevResult"] = prev
	baseJSON, _ := json.Marshal(base)

	// Files the cases point at.
	dir := filepath.Join(e.b.Dir, "badinput")
	regular := biWrite(t, filepath.Join(dir, "regular"), "just a file\n")
	adir := filepath.Join(dir, "adir")
	if err := os.MkdirAll(adir, 0o755); err != nil {
		t.Fatal(err)
	}
	pwned := filepath.Join(dir, "pwned")
	devinfo := func(name, content string) string { return biWrite(t, filepath.Join(dir, "devinfo", name), content) }
	diNotJSON := devinfo("notjson.json", "type=pci pci-address=0000:03:00.2\n")
	diUSB := devinfo("usb.json", `{"type":"usb","version":"1.1.0","usb":{"bus":"1","device":"2"}}`)
	diPciFmt := `{"type":"pci","version":"1.1.0","pci":{"pci-address":%q}}`
	diTraversal := devinfo("traversal.json", fmt.Sprintf(diPciFmt, "../../etc"))
	diPF := devinfo("pf.json", fmt.Sprintf(diPciFmt, pf))
	diAbsent := devinfo("absent.json", fmt.Sprintf(diPciFmt, "0000:99:00.1"))
	diBig := devinfo("big.json", fmt.Sprintf(diPciFmt, "0000:03:00.2"+biBig))
	diNoPCI := devinfo("nopci.json", `{"type":"pci","version":"1.1.0"}`)

	ifacePrev := func(v any) func(m map[string]any) {
		return biPrev(func(p map[string]any) { p["ips"].([]any)[0].(map[string]any)["interface"] = v })
	}
	vfMissing := "0000:99:00.1"
	bigNumber := json.RawMessage(strings.Repeat("1", 10*1024))

	cases := []badCase{
		// Malformed JSON: the CNI library refuses it before the plugin runs (6, decoding failure).
		{name: "json-malformed", raw: func() []byte { return []byte("{not json") }, code: types.ErrDecodingFailure, want: []string{"invalid character"}},
		{name: "json-truncated", raw: func() []byte { return baseJSON[:len(baseJSON)/2] }, code: types.ErrDecodingFailure, want: []string{"unexpected end of JSON input"}},
		{name: "json-empty-stdin", raw: func() []byte { return nil }, code: types.ErrDecodingFailure, want: []string{"unexpected end of JSON input"}},
		{name: "json-array", raw: func() []byte { return []byte(`[]`) }, code: types.ErrDecodingFailure, want: []string{"array"}},
		{name: "json-trailing-garbage", raw: func() []byte { return append(append([]byte{}, baseJSON...), '}') }, code: types.ErrDecodingFailure, want: []string{"after top-level value"}},
		{name: "json-10KB-garbage", raw: func() []byte { return []byte(`{"name":"x","cniVersion":"1.1.0",` + biBig) }, code: types.ErrDecodingFailure, want: []string{"invalid character"}},
		// Wrong types for each key.
		{name: "type-name-number", conf: biSet("name", 5), code: types.ErrDecodingFailure, want: []string{"name"}},
		{name: "type-cniVersion-number", conf: biSet("cniVersion", 5), code: types.ErrDecodingFailure, want: []string{"cniVersion"}},
		{name: "type-bridge-number", conf: biSet("bridge", 5), code: types.ErrInvalidNetworkConfig, want: []string{`"bridge"`, "number"}},
		{name: "type-bridge-10KB-number", conf: biSet("bridge", bigNumber), code: types.ErrInvalidNetworkConfig, want: []string{`"bridge"`}},
		{name: "type-stateDir-bool", conf: biSet("stateDir", true), code: types.ErrInvalidNetworkConfig, want: []string{`"stateDir"`, "bool"}},
		{name: "type-logLevel-array", conf: biSet("logLevel", []any{}), code: types.ErrInvalidNetworkConfig, want: []string{`"logLevel"`, "array"}},
		{name: "type-logFile-number", conf: biSet("logFile", 1), code: types.ErrInvalidNetworkConfig, want: []string{`"logFile"`}},
		{name: "type-ovsdb-object", conf: biSet("ovsdb", map[string]any{}), code: types.ErrInvalidNetworkConfig, want: []string{`"ovsdb"`}},
		{name: "type-requireOffload-string", conf: biSet("requireOffload", "yes"), code: types.ErrInvalidNetworkConfig, want: []string{`"requireOffload"`}},
		{name: "type-runtimeConfig-string", conf: biSet("runtimeConfig", "x"), code: types.ErrInvalidNetworkConfig, want: []string{`"runtimeConfig"`}},
		{name: "type-runtimeConfig.deviceID-object", conf: biSet("runtimeConfig.deviceID", map[string]any{}), code: types.ErrInvalidNetworkConfig, want: []string{`"runtimeConfig.deviceID"`}},
		{name: "type-runtimeConfig.CNIDeviceInfoFile-number", conf: biSet("runtimeConfig.CNIDeviceInfoFile", 7), code: types.ErrInvalidNetworkConfig, want: []string{`"runtimeConfig.CNIDeviceInfoFile"`}},
		{name: "type-deviceID-number", conf: biSet("deviceID", 5), code: types.ErrInvalidNetworkConfig, want: []string{`"deviceID"`}},
		{name: "type-pciBusID-array", conf: biSet("pciBusID", []any{}), code: types.ErrInvalidNetworkConfig, want: []string{`"pciBusID"`}},
		{name: "type-prevResult-string", conf: biSet("prevResult", "x"), code: types.ErrInvalidNetworkConfig, want: []string{`config key "prevResult"`}},
		// Bad values.
		{name: "value-bridge-16-bytes", conf: biSet("bridge", "br-int-123456789"), code: types.ErrInvalidNetworkConfig, want: []string{`"bridge"`, "br-int-123456789"}},
		{name: "value-bridge-slash", conf: biSet("bridge", "br/int"), code: types.ErrInvalidNetworkConfig, want: []string{`"bridge"`, "br/int"}},
		{name: "value-ovsdb-http", conf: biSet("ovsdb", "http://localhost:6640"), code: types.ErrInvalidNetworkConfig, want: []string{`"ovsdb"`, "http"}},
		{name: "value-logLevel-verbose", conf: biSet("logLevel", "verbose"), code: types.ErrInvalidNetworkConfig, want: []string{`"logLevel"`, "verbose"}},
		{name: "value-logLevel-10KB", conf: biSet("logLevel", biBig), code: types.ErrInvalidNetworkConfig, want: []string{`"logLevel"`, "truncated"}},
		{name: "value-stateDir-relative", conf: biSet("stateDir", "state"), code: types.ErrInvalidNetworkConfig, want: []string{`"stateDir"`, `"state"`, "not absolute"}},
		{name: "value-stateDir-dotdot", conf: biSet("stateDir", e.b.StateDir+"/../../etc"), code: types.ErrInvalidNetworkConfig, want: []string{`"stateDir"`, "not clean"}},
		{name: "value-logFile-relative", conf: biSet("logFile", "vf-offload.log"), code: types.ErrInvalidNetworkConfig, want: []string{`"logFile"`, "vf-offload.log"}},
		{name: "value-logFile-missing-dir", conf: biSet("logFile", filepath.Join(dir, "nodir", "x.log")), code: types.ErrIOFailure, want: []string{"log file", filepath.Join(dir, "nodir", "x.log")}},
		{name: "value-CNIDeviceInfoFile-relative", conf: biDevInfo("devinfo.json"), code: types.ErrInvalidNetworkConfig, want: []string{"CNIDeviceInfoFile", "devinfo.json"}},
		// Unsupported cniVersion: the CNI library answers 1 (incompatible version).
		{name: "cniVersion-0.2.0", conf: biSet("cniVersion", "0.2.0"), code: types.ErrIncompatibleCNIVersion, want: []string{"0.2.0"}},
		{name: "cniVersion-9.9.9", conf: biSet("cniVersion", "9.9.9"), code: types.ErrIncompatibleCNIVersion, want: []string{"9.9.9"}},
		{name: "cniVersion-empty", conf: biSet("cniVersion", ""), code: types.ErrIncompatibleCNIVersion, want: []string{"incompatible CNI versions"}},
		// Missing or odd prevResult.
		{name: "prevResult-missing", conf: biDel("prevResult"), code: types.ErrInvalidNetworkConfig, want: []string{"chained after Kube-OVN"}},
		{name: "prevResult-no-interfaces", conf: biPrev(func(p map[string]any) { delete(p, "interfaces"); delete(p, "ips") }), code: types.ErrInvalidNetworkConfig, want: []string{`no interface "eth0"`}},
		{name: "prevResult-no-sandbox-interface", conf: biPrev(func(p map[string]any) {
			for _, it := range p["interfaces"].([]any) {
				delete(it.(map[string]any), "sandbox")
			}
		}), code: types.ErrInvalidNetworkConfig, want: []string{`no interface "eth0"`}},
		{name: "prevResult-interface-net1", conf: biPrev(func(p map[string]any) {
			for _, it := range p["interfaces"].([]any) {
				it.(map[string]any)["name"] = "net1"
			}
		}), code: types.ErrInvalidNetworkConfig, want: []string{`no interface "eth0"`}},
		{name: "prevResult-ip-interface-5", conf: ifacePrev(5), code: types.ErrInvalidNetworkConfig, want: []string{"interface 5 of 1"}},
		{name: "prevResult-ip-interface-negative", conf: ifacePrev(-1), code: types.ErrInvalidNetworkConfig, want: []string{"interface -1 of 1"}},
		{name: "prevResult-ip-interface-10KB-number", conf: ifacePrev(bigNumber), code: types.ErrInvalidNetworkConfig, want: []string{`config key "prevResult"`, "truncated, 10247 bytes"}},
		{name: "prevResult-ips-string", conf: biPrev(func(p map[string]any) { p["ips"] = "10.16.0.2/16" }), code: types.ErrInvalidNetworkConfig, want: []string{"prevResult"}},
		{name: "prevResult-bad-address", conf: biPrev(func(p map[string]any) { p["ips"].([]any)[0].(map[string]any)["address"] = "10.16.0.999/16" }), code: types.ErrInvalidNetworkConfig, want: []string{"prevResult", "10.16.0.999"}},
		// Device IDs that are not PCI addresses, or not VFs.
		{name: "deviceID-traversal", conf: biSet("runtimeConfig.deviceID", "../../etc"), code: types.ErrInvalidNetworkConfig, want: []string{"runtimeConfig.deviceID", `"../../etc"`}},
		{name: "deviceID-pci-then-traversal", conf: biSet("runtimeConfig.deviceID", "0000:03:00.2/../.."), code: types.ErrInvalidNetworkConfig, want: []string{`"0000:03:00.2/../.."`}},
		{name: "deviceID-shell-subst", conf: biSet("runtimeConfig.deviceID", "$(touch "+pwned+")"), code: types.ErrInvalidNetworkConfig, want: []string{"$(touch"}},
		{name: "deviceID-shell-semicolon", conf: biSet("runtimeConfig.deviceID", ";touch "+pwned), code: types.ErrInvalidNetworkConfig, want: []string{";touch"}},
		{name: "deviceID-10KB", conf: biSet("runtimeConfig.deviceID", "0000:03:00.2"+biBig), code: types.ErrInvalidNetworkConfig, want: []string{"0000:03:00.2AAA", "truncated"}},
		{name: "deviceID-fullwidth-digit", conf: biSet("runtimeConfig.deviceID", "０000:03:00.2"), code: types.ErrInvalidNetworkConfig, want: []string{"０000:03:00.2"}},
		{name: "deviceID-function-8", conf: biSet("runtimeConfig.deviceID", "0000:03:00.8"), code: types.ErrInvalidNetworkConfig, want: []string{"0000:03:00.8"}},
		{name: "deviceID-newline", conf: biSet("runtimeConfig.deviceID", vf.PCI+"\n"), code: types.ErrInvalidNetworkConfig, want: []string{`\n"`}},
		{name: "deviceID-nul", conf: biSet("runtimeConfig.deviceID", vf.PCI+"\x00"), code: types.ErrInvalidNetworkConfig, want: []string{`\x00"`}},
		{name: "toplevel-deviceID-traversal", conf: biAll(biDel("runtimeConfig.deviceID"), biSet("deviceID", "../x")), code: types.ErrInvalidNetworkConfig, want: []string{`"deviceID"`, `"../x"`}},
		{name: "pciBusID-garbage", conf: biAll(biDel("runtimeConfig.deviceID"), biSet("pciBusID", "zz:zz.z")), code: types.ErrInvalidNetworkConfig, want: []string{`"pciBusID"`, "zz:zz.z"}},
		{name: "deviceID-is-the-PF", conf: biSet("runtimeConfig.deviceID", pf), code: types.ErrInvalidNetworkConfig, want: []string{pf, "not an SR-IOV VF"}},
		{name: "deviceID-absent-device", conf: biSet("runtimeConfig.deviceID", vfMissing), code: types.ErrInvalidNetworkConfig, want: []string{vfMissing}},
		// CNI environment.
		{name: "ifname-16-bytes", env: func(a *invoke.Args) { a.IfName = "eth0123456789abc" }, code: types.ErrInvalidEnvironmentVariables, want: []string{"too long"}},
		{name: "ifname-slash", env: func(a *invoke.Args) { a.IfName = "eth/0" }, code: types.ErrInvalidEnvironmentVariables, want: []string{"/"}},
		{name: "ifname-dot", env: func(a *invoke.Args) { a.IfName = "." }, code: types.ErrInvalidEnvironmentVariables, want: []string{"."}},
		{name: "netns-missing", env: func(a *invoke.Args) { a.NetNS = "" }, code: types.ErrInvalidEnvironmentVariables, want: []string{"CNI_NETNS"}},
		{name: "netns-regular-file", env: func(a *invoke.Args) { a.NetNS = regular }, code: types.ErrInvalidNetNS, want: []string{regular}},
		{name: "netns-directory", env: func(a *invoke.Args) { a.NetNS = adir }, code: types.ErrInvalidNetNS, want: []string{adir}},
		{name: "netns-nonexistent", env: func(a *invoke.Args) { a.NetNS = "/run/netns/vfo-no-such-netns" }, code: types.ErrInvalidNetNS, want: []string{"/run/netns/vfo-no-such-netns"}},
		{name: "netns-relative", env: func(a *invoke.Args) { a.NetNS = "netns/x" }, code: types.ErrInvalidEnvironmentVariables, want: []string{"CNI_NETNS", "netns/x"}},
		{name: "containerid-empty", env: func(a *invoke.Args) { a.ContainerID = "" }, code: types.ErrInvalidEnvironmentVariables, want: []string{"CNI_CONTAINERID"}},
		{name: "containerid-slash", env: func(a *invoke.Args) { a.ContainerID = "abc/def" }, code: types.ErrInvalidEnvironmentVariables, want: []string{"abc/def"}},
		{name: "containerid-dotdot", env: func(a *invoke.Args) { a.ContainerID = ".." }, code: types.ErrInvalidEnvironmentVariables, want: []string{"containerID"}},
		{name: "containerid-inner-dotdot", env: func(a *invoke.Args) { a.ContainerID = "abc..def" }, code: types.ErrInvalidEnvironmentVariables, want: []string{"abc..def"}},
		{name: "containerid-10KB", env: func(a *invoke.Args) { a.ContainerID = "a" + biBig }, code: types.ErrInvalidEnvironmentVariables, want: []string{"container ID", "truncated"}},
		{name: "containerid-10KB-slash", env: func(a *invoke.Args) { a.ContainerID = "a" + biBig + "/" }, code: types.ErrInvalidEnvironmentVariables, want: []string{"CNI_CONTAINERID of 10242 bytes", "truncated"}},
		// Device-info file (no device ID anywhere else).
		{name: "devinfo-missing", conf: biDevInfo(filepath.Join(dir, "devinfo", "nope.json")), code: types.ErrInvalidNetworkConfig, want: []string{"device-info", "nope.json"}},
		{name: "devinfo-is-a-directory", conf: biDevInfo(adir), code: types.ErrInvalidNetworkConfig, want: []string{"device-info", adir}},
		{name: "devinfo-not-json", conf: biDevInfo(diNotJSON), code: types.ErrInvalidNetworkConfig, want: []string{"device-info", diNotJSON}},
		{name: "devinfo-type-usb", conf: biDevInfo(diUSB), code: types.ErrInvalidNetworkConfig, want: []string{`"usb"`}},
		{name: "devinfo-no-pci-object", conf: biDevInfo(diNoPCI), code: types.ErrInvalidNetworkConfig, want: []string{`no "pci" object`}},
		{name: "devinfo-names-traversal", conf: biDevInfo(diTraversal), code: types.ErrInvalidNetworkConfig, want: []string{`"../../etc"`}},
		{name: "devinfo-names-the-PF", conf: biDevInfo(diPF), code: types.ErrInvalidNetworkConfig, want: []string{pf, "not an SR-IOV VF"}},
		{name: "devinfo-names-absent-device", conf: biDevInfo(diAbsent), code: types.ErrInvalidNetworkConfig, want: []string{vfMissing}},
		{name: "devinfo-names-10KB", conf: biDevInfo(diBig), code: types.ErrInvalidNetworkConfig, want: []string{"truncated"}},
		// stateDir not usable.
		{name: "stateDir-is-a-file", conf: biSet("stateDir", regular), code: anyCode, want: []string{regular, "not a directory"}},
		{name: "stateDir-under-a-file", conf: biSet("stateDir", filepath.Join(regular, "state")), code: anyCode, want: []string{filepath.Join(regular, "state"), "not a directory"}},
		// DEL with bad input.
		{name: "DEL-json-malformed", verb: "DEL", raw: func() []byte { return []byte(`{"cniVersion":"1.1.0","name":`) }, code: types.ErrDecodingFailure, want: []string{"unexpected end of JSON input"}},
		{name: "DEL-containerid-slash", verb: "DEL", env: func(a *invoke.Args) { a.ContainerID = "../etc" }, code: types.ErrInvalidEnvironmentVariables, want: []string{"containerID"}},
		{name: "DEL-containerid-inner-dotdot", verb: "DEL", env: func(a *invoke.Args) { a.ContainerID = "x..y" }, code: types.ErrInvalidEnvironmentVariables, want: []string{"x..y"}},
		{name: "DEL-ifname-slash", verb: "DEL", env: func(a *invoke.Args) { a.IfName = "a/b" }, code: types.ErrInvalidEnvironmentVariables, want: []string{"/"}},
		{name: "DEL-bridge-number", verb: "DEL", conf: biSet("bridge", 5), code: types.ErrInvalidNetworkConfig, want: []string{`"bridge"`}},
		{name: "DEL-stateDir-relative", verb: "DEL", conf: biSet("stateDir", "state"), code: types.ErrInvalidNetworkConfig, want: []string{`"stateDir"`}},
		// Not errors: DEL ignores a bad device ID when no state names it;
		// an empty device ID on ADD passes prevResult through.
		{name: "DEL-deviceID-traversal-no-state", verb: "DEL", conf: biSet("runtimeConfig.deviceID", "../../etc"), ok: true},
		{name: "deviceID-empty-passes-through", conf: biSet("runtimeConfig.deviceID", ""), ok: true},
	}

	initial := e.snapshot()
	type row struct {
		name, verb, outcome, msg string
		code                     uint
	}
	var rows []row
	nBad := 0
	for _, c := range cases {
		if !c.ok {
			nBad++
		}
		t.Run(c.name, func(t *testing.T) {
			verb := c.verb
			if verb == "" {
				verb = "ADD"
			}
			var stdin []byte
			switch {
			case c.raw != nil:
				stdin = c.raw()
			default:
				m := biClone(base)
				if c.conf != nil {
					c.conf(m)
				}
				if stdin, err = json.Marshal(m); err != nil {
					t.Fatal(err)
				}
			}
			args := &invoke.Args{Command: verb, ContainerID: a.ContainerID, NetNS: a.Netns, IfName: "eth0",
				PluginArgsStr: a.CNIArgsString(), Path: e.b.CNIPath}
			if c.env != nil {
				c.env(args)
			}
			logBefore, _ := os.ReadFile(e.b.LogFile)
			before := e.snapshot()
			plugin := filepath.Join(e.b.CNIPath, "vf-offload")
			var out types.Result
			if verb == "ADD" {
				out, err = invoke.ExecPluginWithResult(e.ctx, plugin, stdin, args, nil)
			} else {
				err = invoke.ExecPluginWithoutResult(e.ctx, plugin, stdin, args, nil)
			}
			rw := row{name: c.name, verb: verb}
			defer func() {
				if t.Failed() {
					rw.outcome = "FAIL"
				}
				rows = append(rows, rw)
			}()

			// (a) the answer
			if c.ok {
				rw.outcome = "ok (no error, as wanted)"
				if err != nil {
					t.Errorf("want success, got %v", err)
				}
				if out != nil {
					got, _ := current.NewResultFromResult(out)
					if gb, _ := json.Marshal(got); string(gb) != string(prevJSON) {
						t.Errorf("pass-through changed prevResult:\n got %s\nwant %s", gb, prevJSON)
					}
				}
			} else {
				var ce *types.Error
				switch {
				case err == nil:
					t.Errorf("want an error, ADD/DEL succeeded")
				case !errors.As(err, &ce):
					t.Errorf("error is not a CNI error: %v", err)
				default:
					rw.code, rw.msg, rw.outcome = ce.Code, ce.Error(), "refused"
					if c.code != anyCode && ce.Code != c.code {
						t.Errorf("code %d, want %d: %v", ce.Code, c.code, ce)
					}
					if ce.Code == 0 {
						t.Errorf("code 0 in an error: %v", ce)
					}
					for _, w := range c.want {
						if !strings.Contains(ce.Error(), w) {
							t.Errorf("error does not say %q: %s", w, biShort(ce.Error()))
						}
					}
				}
			}
			if err != nil {
				if msg := err.Error(); strings.Contains(msg, biBig[:1024]) || strings.Contains(msg, strings.Repeat("1", 1024)) || len(msg) > 4096 {
					if c.upstream != "" {
						rw.outcome = "refused; KNOWN UPSTREAM"
						t.Logf("KNOWN UPSTREAM: error of %d bytes carries the 10 KB value: %s", len(msg), c.upstream)
					} else {
						t.Errorf("error carries a 10 KB value (%d bytes): %s", len(msg), biShort(msg))
					}
				}
			}
			// Logs never print the oversized values either.
			logAfter, _ := os.ReadFile(e.b.LogFile)
			if len(logAfter) >= len(logBefore) {
				for _, line := range strings.Split(string(logAfter[len(logBefore):]), "\n") {
					if len(line) > 4096 || strings.Contains(line, biBig[:1024]) {
						t.Errorf("log line of %d bytes carries a 10 KB value: %s", len(line), biShort(line))
					}
				}
			}
			// (b) an unchanged node.
			if d := e.settledDiff(before, nil); d != "" {
				t.Errorf("node changed:\n%s", d)
			}
			if files, err := biStateFiles(e.b.StateDir); err != nil || len(files) != 0 {
				t.Errorf("stateDir %s not empty: %v %v", e.b.StateDir, files, err)
			}
			if _, err := os.Stat(pwned); err == nil {
				t.Errorf("a device ID was run by a shell: %s exists", pwned)
			}
			if data, err := os.ReadFile(regular); err != nil || string(data) != "just a file\n" {
				t.Errorf("%s changed: %q %v", regular, data, err)
			}
			if c.check != nil {
				c.check(t)
			}
		})
	}
	if d := e.settledDiff(initial, nil); d != "" {
		t.Errorf("node changed by the corpus:\n%s", d)
	}
	var tbl strings.Builder
	fmt.Fprintf(&tbl, "bad-input corpus: %d bad inputs + %d accepted controls, %d run\n", nBad, len(cases)-nBad, len(rows))
	fmt.Fprintf(&tbl, "%-44s %-4s %-4s %-26s %s\n", "case", "verb", "code", "outcome", "error (first 110 bytes)")
	for _, r := range rows {
		code := "-"
		if r.code != 0 {
			code = fmt.Sprint(r.code)
		}
		fmt.Fprintf(&tbl, "%-44s %-4s %-4s %-26s %s\n", r.name, r.verb, code, r.outcome, biShortN(r.msg, 110))
	}
	t.Log("\n" + tbl.String())
	if nBad < 40 {
		t.Errorf("corpus has %d bad inputs, want at least 40", nBad)
	}

	// After the corpus the plugin still works: a normal ADD/DEL on another pod.
	if err := e.b.Del(e.ctx, kc, a, "eth0", nil); err != nil {
		t.Fatal(err)
	}
	p := e.pod("after")
	want := e.snapshot()
	fc, caps := e.full(false, vf.PCI)
	e.add(fc, p, caps)
	e.assertWired(p, vf)
	biSecurityModes(t, e.b.StateDir, vf.PCI)
	e.del(fc, p, caps)
	if d := bed.Diff(sansHostMAC(want), sansHostMAC(e.snapshot())); d != "" {
		t.Errorf("normal ADD/DEL after the corpus left the node changed:\n%s", d)
	}
}

// biSecurityModes checks stateDir 0700 and the state and lock files 0600
// while an attachment is live.
func biSecurityModes(t *testing.T, dir, pci string) {
	t.Helper()
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatalf("stateDir: %v", err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("stateDir %s mode %o, want 700", dir, fi.Mode().Perm())
	}
	for _, f := range []string{pci + ".json", pci + ".lock"} {
		fi, err := os.Lstat(filepath.Join(dir, f))
		if err != nil {
			if f == pci+".lock" && errors.Is(err, os.ErrNotExist) {
				continue // the lock file may be gone after the call
			}
			t.Errorf("%s: %v", f, err)
			continue
		}
		if !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %s, want a regular file 0600", f, fi.Mode())
		}
	}
}

func biShort(s string) string { return biShortN(s, 300) }

func biShortN(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", `\n`)
	if len(s) > n {
		return s[:n] + fmt.Sprintf("… (%d bytes)", len(s))
	}
	return s
}
