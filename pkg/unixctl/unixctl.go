// Package unixctl sends commands to an Open vSwitch daemon's control socket,
// as ovs-appctl does (JSON-RPC 1.0 over a unix socket), without running it.
package unixctl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Socket returns the control socket of daemon (e.g. "ovs-vswitchd") in
// rundir: <rundir>/<daemon>.<pid>.ctl, the pid read from <daemon>.pid.
func Socket(rundir, daemon string) (string, error) {
	b, err := os.ReadFile(filepath.Join(rundir, daemon+".pid"))
	if err != nil {
		return "", fmt.Errorf("%s pidfile in %s: %w", daemon, rundir, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return "", fmt.Errorf("%s pidfile in %s: %w", daemon, rundir, err)
	}
	return filepath.Join(rundir, fmt.Sprintf("%s.%d.ctl", daemon, pid)), nil
}

type request struct {
	ID     int      `json:"id"`
	Method string   `json:"method"`
	Params []string `json:"params"`
}

type response struct {
	ID     int             `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  json.RawMessage `json:"error"`
}

// Call runs one command (e.g. "dpctl/dump-flows" with "-m") and returns its
// text output. It is bounded by timeout.
func Call(ctx context.Context, socket string, timeout time.Duration, method string, params ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", socket)
	if err != nil {
		return "", fmt.Errorf("connect to %s: %w", socket, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if params == nil {
		params = []string{}
	}
	if err := json.NewEncoder(conn).Encode(request{ID: 0, Method: method, Params: params}); err != nil {
		return "", fmt.Errorf("send %s to %s: %w", method, socket, err)
	}
	var resp response
	if err := json.NewDecoder(conn).Decode(&resp); err != nil {
		return "", fmt.Errorf("read reply to %s from %s: %w", method, socket, err)
	}
	if len(resp.Error) > 0 && string(resp.Error) != "null" {
		var msg string
		if json.Unmarshal(resp.Error, &msg) != nil {
			msg = string(resp.Error)
		}
		return "", fmt.Errorf("%s: %w", method, errors.New(strings.TrimSpace(msg)))
	}
	var out string
	if err := json.Unmarshal(resp.Result, &out); err != nil {
		return "", fmt.Errorf("reply to %s: %w", method, err)
	}
	return out, nil
}
