package cluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/containernetworking/plugins/pkg/ns"
	"sigs.k8s.io/yaml"
)

// newNetns creates a named netns with `ip netns add` (lo up if asked),
// deleted in t.Cleanup, and returns its path.
func newNetns(t *testing.T, suffix string, loUp bool) string {
	t.Helper()
	name := fmt.Sprintf("vfo-cl-%d-%s", os.Getpid(), suffix)
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v: %s", name, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v: %s", name, err, out)
		}
	})
	if loUp {
		if out, err := exec.Command("ip", "-n", name, "link", "set", "lo", "up").CombinedOutput(); err != nil {
			t.Fatalf("lo up in %s: %v: %s", name, err, out)
		}
	}
	return "/run/netns/" + name
}

// dialIn dials addr from inside the netns at nsPath.
func dialIn(ctx context.Context, nsPath, addr string) (net.Conn, error) {
	var conn net.Conn
	err := ns.WithNetNSPath(nsPath, func(ns.NetNS) error {
		var err error
		conn, err = (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, "tcp", addr)
		return err
	})
	return conn, err
}

// kubeconfigClient builds an HTTP client and token from a kubeconfig written
// by Kubeconfig, dialling from inside nsPath.
func kubeconfigClient(t *testing.T, path, nsPath string) (server, token string, client *http.Client) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var kc struct {
		Clusters []struct {
			Cluster struct {
				Server string `json:"server"`
				CAData []byte `json:"certificate-authority-data"`
			} `json:"cluster"`
		} `json:"clusters"`
		Users []struct {
			User struct{ Token string } `json:"user"`
		} `json:"users"`
	}
	if err := yaml.Unmarshal(data, &kc); err != nil || len(kc.Clusters) != 1 || len(kc.Users) != 1 {
		t.Fatalf("kubeconfig %s: %v:\n%s", path, err, data)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(kc.Clusters[0].Cluster.CAData) {
		t.Fatalf("kubeconfig %s: no CA certificate in certificate-authority-data", path)
	}
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool},
		DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			return dialIn(ctx, nsPath, addr)
		},
	}
	t.Cleanup(tr.CloseIdleConnections)
	return kc.Clusters[0].Cluster.Server, kc.Users[0].User.Token, &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

func testServeInNetns(t *testing.T, c *Cluster) {
	if os.Geteuid() != 0 {
		if os.Getenv("VFO_E2E_REQUIRED") == "1" {
			t.Fatal("VFO_E2E_REQUIRED=1 but not root: ServeInNetns' test creates a netns")
		}
		t.Skip("skipping: creating a netns needs root; set VFO_E2E_REQUIRED=1 to make this a failure")
	}
	if _, _, err := c.ServeInNetns(newNetns(t, "lodown", false)); err == nil || !strings.Contains(err.Error(), "lo is down") {
		t.Errorf("ServeInNetns in a netns whose lo is down: %v, want an error saying lo is down", err)
	}

	nsPath := newNetns(t, "proxy", true)
	proxyURL, stop, err := c.ServeInNetns(nsPath)
	if err != nil {
		t.Fatalf("ServeInNetns: %v", err)
	}
	defer stop()
	u, err := url.Parse(proxyURL)
	if err != nil || u.Scheme != "https" || u.Hostname() != "127.0.0.1" {
		t.Fatalf("ServeInNetns URL %q: %v", proxyURL, err)
	}
	if conn, err := net.DialTimeout("tcp", u.Host, time.Second); err == nil {
		conn.Close()
		t.Errorf("%s answers in the host netns: the listener must be in %s only", u.Host, nsPath)
	}

	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := c.Kubeconfig(kubeconfig, proxyURL); err != nil {
		t.Fatalf("Kubeconfig: %v", err)
	}
	server, token, client := kubeconfigClient(t, kubeconfig, nsPath)
	if server != proxyURL {
		t.Errorf("kubeconfig server %q, want %q", server, proxyURL)
	}
	for _, p := range []string{"/version", "/api/v1/namespaces/default/serviceaccounts/default"} {
		req, _ := http.NewRequest(http.MethodGet, server+p, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s through the proxy from inside the netns: %v", p, err)
		}
		var v struct{ GitVersion, Kind string }
		err = json.NewDecoder(resp.Body).Decode(&v)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s through the proxy: %s, %v", p, resp.Status, err)
		}
		if p == "/version" && v.GitVersion != c.Version() {
			t.Errorf("/version through the proxy: %q, want %q", v.GitVersion, c.Version())
		}
	}

	// stop closes open connections and the listener.
	open, err := dialIn(context.Background(), nsPath, u.Host)
	if err != nil {
		t.Fatalf("dial the proxy from inside the netns: %v", err)
	}
	defer open.Close()
	stop()
	_ = open.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := open.Read(make([]byte, 1)); err == nil || os.IsTimeout(err) {
		t.Errorf("a connection through the proxy is still open after stop: read gave %v", err)
	}
	if conn, err := dialIn(context.Background(), nsPath, u.Host); err == nil {
		conn.Close()
		t.Errorf("the proxy still accepts connections after stop")
	}
}
