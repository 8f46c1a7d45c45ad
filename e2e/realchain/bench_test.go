package realchain

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"testing"
	"time"
)

// BenchmarkMultusOffloadedChain times the chain as a cluster runs it in the
// already-offloaded state: the runtime's ADD and DEL through the real Multus
// (conf/nad-default.yaml: the real Kube-OVN wires the VF, vf-offload adopts),
// and vf-offload's share of each, from the ms= of its "ADD done" and "DEL
// done" log lines. Run by `make bench`:
//
//	go test -run '^$' -bench MultusOffloadedChain -benchtime 20x ./e2e/realchain
func BenchmarkMultusOffloadedChain(b *testing.B) {
	n := newNode(b)
	var add, del, vfoAdd, vfoDel []float64
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		n.nextVF = 0 // the same VF for every pod, as the device plugin reuses a freed one
		p := n.pod(fmt.Sprintf("bench%d", i), podOpts{defaultNet: "default/default", vfs: 1})
		b.StartTimer()
		t0 := time.Now()
		if _, err := n.add(p); err != nil {
			b.Fatalf("ADD: %v", err)
		}
		t1 := time.Now()
		if err := n.del(p); err != nil {
			b.Fatalf("DEL: %v", err)
		}
		t2 := time.Now()
		add, del = append(add, ms(t1.Sub(t0))), append(del, ms(t2.Sub(t1)))
		b.StopTimer()
		p.Destroy()
		b.StartTimer()
	}
	vfoAdd, vfoDel = logMs(n, "ADD done"), logMs(n, "DEL done")
	b.ReportMetric(p50(add), "chain-ADD-p50-ms")
	b.ReportMetric(p50(del), "chain-DEL-p50-ms")
	b.ReportMetric(p50(vfoAdd), "vf-offload-ADD-p50-ms")
	b.ReportMetric(p50(vfoDel), "vf-offload-DEL-p50-ms")
	b.ReportMetric(0, "ns/op")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

var msField = regexp.MustCompile(` ms=([0-9.]+)`)

// logMs collects the ms= of vf-offload's log lines with msg.
func logMs(n *node, msg string) []float64 {
	var out []float64
	for _, m := range regexp.MustCompile(`msg="`+msg+`".*`).FindAllString(vfoLog(n.b), -1) {
		if f := msField.FindStringSubmatch(m); f != nil {
			v, _ := strconv.ParseFloat(f[1], 64)
			out = append(out, v)
		}
	}
	return out
}

func p50(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}
