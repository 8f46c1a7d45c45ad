package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The plugin logs each step's duration at debug level ("step done",
// step=..., ms=...) and each verb's total ("ADD done", ms=...). stepTimes
// reads those lines from the bed's log, from byte offset from on, so that a
// phase of the run (the samples at one size, the burst) gets its own
// breakdown: where inside the plugin the time of an ADD goes.
var (
	stepRe = regexp.MustCompile(`msg="step done".* step="?([^"=]+?)"? ms=([0-9.]+)`)
	verbRe = regexp.MustCompile(`msg="(ADD|DEL|CHECK) done".* ms=([0-9.]+)`)
)

type stepTime struct {
	name string
	d    []time.Duration
}

// logSize is the bed log's current size: the offset a phase starts at.
func (bn *bench) logSize() int64 {
	st, err := os.Stat(bn.b.LogFile)
	if err != nil {
		return 0
	}
	return st.Size()
}

// logSpan is a stretch of the bed log: bytes [from, to).
type logSpan struct{ from, to int64 }

// stepTimes returns the step and verb durations logged since offset from,
// in the order each name first appeared.
func (bn *bench) stepTimes(from int64) ([]stepTime, error) {
	return bn.spanTimes([]logSpan{{from, -1}})
}

// spanTimes is stepTimes over the given stretches of the log (to < 0: up
// to its end), so that calls of one kind interleaved with others in a
// phase get their own breakdown.
func (bn *bench) spanTimes(spans []logSpan) ([]stepTime, error) {
	var out []stepTime
	idx := map[string]int{}
	add := func(name, v string) {
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return
		}
		i, ok := idx[name]
		if !ok {
			i = len(out)
			idx[name] = i
			out = append(out, stepTime{name: name})
		}
		out[i].d = append(out[i].d, time.Duration(x*float64(time.Millisecond)))
	}
	for _, sp := range spans {
		if err := bn.scanLog(sp, func(line string) {
			if m := stepRe.FindStringSubmatch(line); m != nil {
				add(m[1], m[2])
			} else if m := verbRe.FindStringSubmatch(line); m != nil {
				add(m[1]+" in the plugin (total)", m[2])
			}
		}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// scanLog calls fn with each line of the bed log in span sp.
func (bn *bench) scanLog(sp logSpan, fn func(string)) error {
	f, err := os.Open(bn.b.LogFile)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Seek(sp.from, io.SeekStart); err != nil {
		return err
	}
	var r io.Reader = f
	if sp.to >= 0 {
		r = io.LimitReader(f, sp.to-sp.from)
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fn(sc.Text())
	}
	return sc.Err()
}

// recordSteps keeps the breakdown of one phase for the report.
func (bn *bench) recordSteps(phase string, from int64) error {
	return bn.recordSpans(phase, []logSpan{{from, -1}})
}

// recordSpans keeps the breakdown of the calls logged in spans.
func (bn *bench) recordSpans(phase string, spans []logSpan) error {
	st, err := bn.spanTimes(spans)
	if err != nil {
		return fmt.Errorf("step timings of %s: %w", phase, err)
	}
	bn.steps = append(bn.steps, phaseSteps{phase: phase, steps: st})
	return nil
}

type phaseSteps struct {
	phase string
	steps []stepTime
}

func (bn *bench) stepReport(w io.Writer) {
	if len(bn.steps) == 0 {
		return
	}
	tableHead(w, "Inside the plugin, from its debug log (each step's own duration; the total is from the verb's start, after the process has started and parsed its input):",
		"phase", "step", "n", "p50", "p95")
	for _, ph := range bn.steps {
		for _, s := range ph.steps {
			fmt.Fprintf(w, "| %s | %s | %d | %s | %s |\n", ph.phase, s.name, len(s.d), ms(pct(s.d, .5)), ms(pct(s.d, .95)))
		}
	}
}

// tableHead writes a title and the head of a Markdown table with columns cols.
func tableHead(w io.Writer, title string, cols ...string) {
	fmt.Fprintf(w, "\n%s\n\n| %s |\n|%s\n", title, strings.Join(cols, " | "), strings.Repeat("---|", len(cols)))
}

func copyFile(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, data, 0o644)
}
