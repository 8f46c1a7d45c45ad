package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"time"
)

// etcdArgs runs a one-member etcd with its data in dataDir, clients on
// clientURL and peers on 127.0.0.1:peerPort.
func etcdArgs(dataDir, clientURL string, peerPort int) []string {
	peer := "http://127.0.0.1:" + strconv.Itoa(peerPort)
	return []string{
		"--name=vfo",
		"--data-dir=" + dataDir,
		"--listen-client-urls=" + clientURL,
		"--advertise-client-urls=" + clientURL,
		"--listen-peer-urls=" + peer,
		"--initial-advertise-peer-urls=" + peer,
		"--initial-cluster=vfo=" + peer,
		"--initial-cluster-state=new",
		"--logger=zap",
		"--log-outputs=stderr",
	}
}

// apiserverArgs serves on 127.0.0.1:port with the cluster's certificates
// and admin token, RBAC, and no endpoint reconciler (nothing else runs).
func (c *Cluster) apiserverArgs(port int) []string {
	p := c.pki
	return []string{
		"--etcd-servers=" + c.etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--cert-dir=" + filepath.Join(c.dir, "pki"),
		"--tls-cert-file=" + p.certFile,
		"--tls-private-key-file=" + p.keyFile,
		"--client-ca-file=" + p.caFile,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + p.saPubFile,
		"--service-account-signing-key-file=" + p.saKeyFile,
		"--token-auth-file=" + p.tokenFile,
		"--authorization-mode=RBAC",
		"--service-cluster-ip-range=10.96.0.0/16",
		"--endpoint-reconciler-type=none",
		"--allow-privileged=true",
		"--profiling=false",
	}
}

// waitEtcd waits for etcd's /health and reads its /version.
func (c *Cluster) waitEtcd(ctx context.Context) error {
	err := poll(ctx, c.etcd, "etcd "+c.etcdURL+"/health", func() (bool, error) {
		var h struct{ Health string }
		if err := getJSON(ctx, c.etcdURL+"/health", &h); err != nil {
			return false, err
		}
		return h.Health == "true", fmt.Errorf("health %q", h.Health)
	})
	if err != nil {
		return err
	}
	var v struct{ Etcdserver string }
	if err := getJSON(ctx, c.etcdURL+"/version", &v); err != nil {
		return fmt.Errorf("etcd version: %w", err)
	}
	c.etcdVersion = v.Etcdserver
	return nil
}

// waitReady waits until kube-apiserver's /readyz answers 200.
func (c *Cluster) waitReady(ctx context.Context) error {
	return poll(ctx, c.apiserver, "kube-apiserver "+c.url+"/readyz", func() (bool, error) {
		err := c.do(ctx, http.MethodGet, "/readyz", "", nil, nil)
		return err == nil, err
	})
}

// ensureServiceAccount creates the ServiceAccount "default" in namespace ns,
// as kube-controller-manager would; Pods cannot be created without it. The
// namespace "default" itself appears shortly after /readyz: retry on NotFound.
func (c *Cluster) ensureServiceAccount(ctx context.Context, ns string) error {
	path := "/api/v1/namespaces/" + ns + "/serviceaccounts"
	body := []byte(`{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"default"}}`)
	err := retryNotFound(ctx, 30*time.Second, func() error {
		err := c.do(ctx, http.MethodPost, path, "application/json", body, nil)
		if errors.Is(err, ErrAlreadyExists) {
			return nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("create ServiceAccount %s/default: %w", ns, err)
	}
	return nil
}

// getJSON GETs a plain-HTTP URL (etcd) and decodes its JSON answer.
func getJSON(ctx context.Context, url string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, data)
	}
	return json.Unmarshal(data, out)
}
