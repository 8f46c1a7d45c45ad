package doctor

import (
	"fmt"
	"sort"
	"strings"
)

// listFlag is a repeatable flag whose values may also be comma-separated.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s == "" {
			return fmt.Errorf("empty name in %q", v)
		}
		*l = append(*l, s)
	}
	return nil
}

// fileMapFlag is a repeatable NAME=FILE flag.
type fileMapFlag map[string]string

func (m fileMapFlag) String() string {
	var parts []string
	for k, v := range m {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

func (m fileMapFlag) Set(v string) error {
	name, file, ok := strings.Cut(v, "=")
	if !ok || name == "" || file == "" {
		return fmt.Errorf("%q is not NAME=FILE", v)
	}
	if _, dup := m[name]; dup {
		return fmt.Errorf("%s given twice", name)
	}
	m[name] = file
	return nil
}

// kvFlag is a "k=v,k=v" flag; it stays nil until set.
type kvFlag struct{ m map[string]string }

func (f *kvFlag) String() string {
	if f == nil || f.m == nil {
		return ""
	}
	return fileMapFlag(f.m).String()
}

func (f *kvFlag) Set(v string) error {
	if f.m == nil {
		f.m = map[string]string{}
	}
	for _, kv := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok || k == "" {
			return fmt.Errorf("%q is not key=value", kv)
		}
		f.m[k] = val
	}
	return nil
}
