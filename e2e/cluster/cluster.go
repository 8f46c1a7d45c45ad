// Package cluster runs a real Kubernetes control plane for the end-to-end
// tests: etcd (Debian's etcd-server, found on PATH) and a kube-apiserver
// binary, both on free 127.0.0.1 ports of the host network namespace, with all
// their files (data, certificates, token, logs) under one directory. No
// controller-manager, scheduler or kubelet runs: objects just exist. A small
// REST client (Apply, Get, Patch, Delete) talks to it with an admin token, and
// ServeInNetns makes it reachable from inside another network namespace.
package cluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// startTimeout bounds Start when ctx has no earlier deadline.
const startTimeout = 3 * time.Minute

// Cluster is a running etcd + kube-apiserver.
type Cluster struct {
	dir         string
	url         string // https://127.0.0.1:<port>, in the host netns
	hostAddr    string // 127.0.0.1:<port>
	etcdURL     string
	pki         *pki
	client      *http.Client
	etcd        *proc
	apiserver   *proc
	version     string
	etcdVersion string

	mu        sync.Mutex
	proxies   map[*proxy]struct{}
	closeOnce sync.Once
	closeErr  error
}

// Start starts etcd and kube-apiserver under dir, waits until the API server
// answers /readyz, creates the ServiceAccount "default" in namespace
// "default" (the controller-manager that would do it does not run) and
// returns. apiserverBin is the kube-apiserver binary; etcd is looked up on
// PATH. Logs are dir/etcd.log and dir/kube-apiserver.log; a start failure
// returns an error with the tail of the failing process' log. Both processes
// get SIGKILL when the calling process dies; Close stops them cleanly.
func Start(ctx context.Context, dir, apiserverBin string) (_ *Cluster, err error) {
	etcdBin, err := exec.LookPath("etcd")
	if err != nil {
		return nil, fmt.Errorf("etcd not found on PATH (apt-get install etcd-server): %w", err)
	}
	if _, err := os.Stat(apiserverBin); err != nil {
		return nil, fmt.Errorf("kube-apiserver binary %s: %w", apiserverBin, err)
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, fmt.Errorf("cluster dir %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create cluster dir %s: %w", dir, err)
	}
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()

	p, err := newPKI(filepath.Join(dir, "pki"))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(p.caPEM)
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	c := &Cluster{
		dir:      dir,
		hostAddr: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[2])),
		etcdURL:  "http://127.0.0.1:" + strconv.Itoa(ports[0]),
		pki:      p,
		client: &http.Client{Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		}},
		proxies: map[*proxy]struct{}{},
	}
	c.url = "https://" + c.hostAddr
	defer func() {
		if err != nil {
			_ = c.Close()
		}
	}()

	if c.etcd, err = startProc("etcd", filepath.Join(dir, "etcd.log"), etcdBin,
		etcdArgs(filepath.Join(dir, "etcd"), c.etcdURL, ports[1])...); err != nil {
		return nil, err
	}
	if err := c.waitEtcd(ctx); err != nil {
		return nil, err
	}
	if c.apiserver, err = startProc("kube-apiserver", filepath.Join(dir, "kube-apiserver.log"),
		apiserverBin, c.apiserverArgs(ports[2])...); err != nil {
		return nil, err
	}
	if err := c.waitReady(ctx); err != nil {
		return nil, err
	}
	var v struct{ GitVersion string }
	if err := c.Get(ctx, "/version", &v); err != nil {
		return nil, fmt.Errorf("kube-apiserver version: %w", err)
	}
	c.version = v.GitVersion
	if err := c.ensureServiceAccount(ctx, "default"); err != nil {
		return nil, err
	}
	return c, nil
}

// Close stops kube-apiserver, then etcd (SIGTERM, then SIGKILL after a grace
// period), waits for both to exit and stops every ServeInNetns proxy. It
// removes nothing. It fails when a process had exited on its own before.
func (c *Cluster) Close() error {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		ps := make([]*proxy, 0, len(c.proxies))
		for p := range c.proxies {
			ps = append(ps, p)
		}
		c.mu.Unlock()
		for _, p := range ps {
			p.stop()
		}
		var errs []error
		for _, p := range []*proc{c.apiserver, c.etcd} {
			if p != nil {
				errs = append(errs, p.stop())
			}
		}
		c.client.CloseIdleConnections()
		c.closeErr = errors.Join(errs...)
	})
	return c.closeErr
}

// Version is kube-apiserver's gitVersion from /version, e.g. "v1.35.4".
func (c *Cluster) Version() string { return c.version }

// EtcdVersion is etcd's server version from its /version, e.g. "3.4.23".
func (c *Cluster) EtcdVersion() string { return c.etcdVersion }

// URL is the API server's address in the host netns, "https://127.0.0.1:<port>".
func (c *Cluster) URL() string { return c.url }

// Dir is the directory holding the cluster's data, certificates and logs.
func (c *Cluster) Dir() string { return c.dir }

// freePorts returns n distinct free TCP ports on 127.0.0.1 (free when asked:
// another process could take one before it is used).
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port on 127.0.0.1: %w", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// poll calls check every 100 ms until it returns true or an error, p exits
// (the error then carries its log's tail) or ctx ends.
func poll(ctx context.Context, p *proc, what string, check func() (bool, error)) error {
	var last error
	for {
		ok, err := check()
		if ok {
			return nil
		}
		if err != nil {
			last = err
		}
		select {
		case <-p.done:
			return fmt.Errorf("waiting for %s: %w", what, p.exitError())
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w (last: %v); last lines of %s:\n%s",
				what, ctx.Err(), last, p.log, p.tail())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
