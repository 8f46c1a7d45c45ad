// Package offload implements vf-offload's CNI verbs: ADD swaps Kube-OVN's veth
// for an SR-IOV VF and puts the VF's representor on the bridge, DEL gives
// everything back, CHECK verifies the wiring.
package offload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/types"

	"github.com/vf-offload/vf-offload/pkg/config"
	"github.com/vf-offload/vf-offload/pkg/ovsdb"
	"github.com/vf-offload/vf-offload/pkg/state"
)

// Timeouts of one CNI call.
const (
	lockTimeout  = 10 * time.Second
	ovsdbTimeout = 10 * time.Second
)

// Plugin holds what every verb shares. Stderr receives logs when the
// configuration names no log file; stdout is reserved for CNI results.
type Plugin struct {
	Stderr io.Writer
}

// call is one CNI invocation: its arguments, configuration and logger.
type call struct {
	args   *skel.CmdArgs
	conf   *config.NetConf
	log    *slog.Logger
	store  *state.Store
	closer io.Closer
	start  time.Time
	early  *pendingOVS // a session DEL opens before it knows what to release; see dialFor
}

func (p *Plugin) newCall(args *skel.CmdArgs, netnsRequired bool) (*call, error) {
	if err := config.ValidateEnv(args.ContainerID, args.Netns, args.IfName, netnsRequired); err != nil {
		return nil, types.NewError(types.ErrInvalidEnvironmentVariables, "invalid CNI environment", err.Error())
	}
	return p.newConfCall(args)
}

// newConfCall is newCall for the verbs without a container (STATUS, GC).
func (p *Plugin) newConfCall(args *skel.CmdArgs) (*call, error) {
	conf, err := config.Parse(args.StdinData)
	if err != nil {
		return nil, types.NewError(types.ErrInvalidNetworkConfig, "invalid vf-offload configuration", err.Error())
	}
	c := &call{args: args, conf: conf, store: state.NewStore(conf.StateDir), start: time.Now()}
	out := p.Stderr
	if conf.LogFile != "" {
		f, err := os.OpenFile(conf.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, types.NewError(types.ErrIOFailure, "cannot open log file", err.Error())
		}
		out, c.closer = f, f
	}
	c.log = slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: level(conf.LogLevel)}))
	if args.ContainerID != "" {
		c.log = c.log.With("container", args.ContainerID, "ifname", args.IfName)
	}
	return c, nil
}

func level(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelInfo
	}
	return l
}

func (c *call) close() {
	if c.early != nil {
		c.early.close()
	}
	if c.closer != nil {
		c.closer.Close()
	}
}

// deviceID resolves the VF's PCI address from the configuration or the
// device-info file; "" means none was given.
func (c *call) deviceID() (string, error) {
	pci, src, err := c.conf.DeviceID()
	if err != nil {
		return "", types.NewError(types.ErrInvalidNetworkConfig, "invalid device ID", err.Error())
	}
	if pci == "" && c.conf.RuntimeConfig.CNIDeviceInfoFile != "" {
		src = config.SourceDeviceInfoFile
		data, err := os.ReadFile(c.conf.RuntimeConfig.CNIDeviceInfoFile)
		if err != nil {
			return "", types.NewError(types.ErrInvalidNetworkConfig, "cannot read device-info file", err.Error())
		}
		if pci, err = config.ParseDeviceInfo(data); err != nil {
			return "", types.NewError(types.ErrInvalidNetworkConfig,
				fmt.Sprintf("invalid device-info file %s", c.conf.RuntimeConfig.CNIDeviceInfoFile), err.Error())
		}
	}
	if pci != "" {
		c.log = c.log.With("device", pci)
		if src == config.SourceDeviceInfoFile {
			c.log.Info("device ID", "source", src, "file", c.conf.RuntimeConfig.CNIDeviceInfoFile)
		} else {
			c.log.Info("device ID", "source", src)
		}
	}
	return pci, nil
}

// lock takes the per-VF lock; a timeout is CNI error 11 (try again later).
func (c *call) lock(pci string) (func(), error) {
	unlock, err := c.store.Lock(pci, lockTimeout)
	if errors.Is(err, state.ErrLockTimeout) {
		return nil, types.NewError(types.ErrTryAgainLater, fmt.Sprintf("VF %s is busy", pci), err.Error())
	}
	if err != nil {
		return nil, fmt.Errorf("lock VF %s: %w", pci, err)
	}
	return unlock, nil
}

// step logs one step's duration and outcome.
func (c *call) step(name string, fn func() error) error {
	t := time.Now()
	err := fn()
	if err != nil {
		c.log.Error("step failed", "step", name, "ms", ms(t), "err", err)
		return fmt.Errorf("%s: %w", name, err)
	}
	c.timed(name, t)
	return nil
}

// timed logs the duration of a step that began at t.
func (c *call) timed(name string, t time.Time) { c.log.Debug("step done", "step", name, "ms", ms(t)) }

func ms(t time.Time) float64 { return float64(time.Since(t).Microseconds()) / 1000 }

// undo is a stack of compensating actions run in reverse on failure.
type undo struct {
	log    *slog.Logger
	steps  []undoStep
	failed int // steps that could not be undone so far
}

type undoStep struct {
	name string
	fn   func() error
}

func (u *undo) push(name string, fn func() error) { u.steps = append(u.steps, undoStep{name, fn}) }

func (u *undo) run() {
	for i := len(u.steps) - 1; i >= 0; i-- {
		s := u.steps[i]
		if err := s.fn(); err != nil {
			u.failed++
			u.log.Error("rollback step failed", "step", s.name, "err", err)
		} else {
			u.log.Info("rolled back", "step", s.name)
		}
	}
	u.steps = nil
}

// pendingOVS is an OVSDB session being opened while the call does its
// netlink and sysfs lookups.
type pendingOVS struct {
	done   chan struct{}
	c      *ovsdb.Client
	err    error
	bridge string
	names  []string
}

// dialAsync starts opening an OVSDB session that monitors bridge and the
// ports named names.
func (c *call) dialAsync(ctx context.Context, bridge string, names ...string) *pendingOVS {
	p := &pendingOVS{done: make(chan struct{}), bridge: bridge, names: names}
	log, endpoint := c.log, c.conf.OVSDB // the call may change c.log meanwhile
	go func() {
		defer close(p.done)
		t := time.Now()
		p.c, p.err = ovsdb.Dial(ctx, endpoint, ovsdbTimeout, log, bridge, names...)
		log.Debug("step done", "step", "open OVSDB session (concurrently)", "ms", ms(t))
	}()
	return p
}

// dialFor returns the session a verb opened early (c.early) if it monitors
// bridge and port, else starts opening one.
func (c *call) dialFor(ctx context.Context, bridge, port string) *pendingOVS {
	if p := c.early; p != nil && p.bridge == bridge && len(p.names) == 1 && p.names[0] == port {
		c.early = nil
		return p
	}
	return c.dialAsync(ctx, bridge, port)
}

// get waits for the session.
func (p *pendingOVS) get() (*ovsdb.Client, error) {
	<-p.done
	return p.c, p.err
}

// close ends the session, whether or not it was used, without waiting for
// a dial still under way (the process ends with the call).
func (p *pendingOVS) close() {
	end := func() {
		if c, _ := p.get(); c != nil {
			c.Close()
		}
	}
	select {
	case <-p.done:
		end()
	default:
		go end()
	}
}
