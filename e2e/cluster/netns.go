package cluster

import (
	"fmt"
	"io"
	"net"
	"sync"

	"github.com/containernetworking/plugins/pkg/ns"
)

// proxy forwards TCP connections accepted in one netns to the API server.
type proxy struct {
	l      net.Listener
	target string
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
	once   sync.Once
}

// ServeInNetns makes the API server reachable from inside the network
// namespace at nsPath: it listens on 127.0.0.1:<free port> in that netns
// (its loopback must be up: a listener there would be unreachable otherwise,
// so a down lo is an error) and forwards every connection, bytes untouched
// (TLS ends at the API server, whose certificate names IP 127.0.0.1), to the
// API server in the host netns. It returns "https://127.0.0.1:<port>" and a
// stop func that closes the listener and every forwarded connection and
// waits for them; Close stops it too.
func (c *Cluster) ServeInNetns(nsPath string) (url string, stop func(), err error) {
	var l net.Listener
	err = ns.WithNetNSPath(nsPath, func(ns.NetNS) error {
		lo, err := net.InterfaceByName("lo")
		if err != nil {
			return fmt.Errorf("loopback: %w", err)
		}
		if lo.Flags&net.FlagUp == 0 {
			return fmt.Errorf("loopback lo is down: bring it up first")
		}
		l, err = net.Listen("tcp", "127.0.0.1:0") // the socket stays in this netns
		return err
	})
	if err != nil {
		return "", nil, fmt.Errorf("listen on 127.0.0.1 in netns %s: %w", nsPath, err)
	}
	p := &proxy{l: l, target: c.hostAddr, conns: map[net.Conn]struct{}{}}
	c.mu.Lock()
	c.proxies[p] = struct{}{}
	c.mu.Unlock()
	p.wg.Add(1)
	go p.serve()
	stop = func() {
		p.stop()
		c.mu.Lock()
		delete(c.proxies, p)
		c.mu.Unlock()
	}
	return "https://" + l.Addr().String(), stop, nil
}

func (p *proxy) serve() {
	defer p.wg.Done()
	for {
		in, err := p.l.Accept()
		if err != nil {
			return // closed by stop
		}
		if !p.track(in) {
			in.Close()
			return
		}
		p.wg.Add(1)
		go p.forward(in)
	}
}

// forward copies both ways between in and a new connection to the target.
func (p *proxy) forward(in net.Conn) {
	defer p.wg.Done()
	defer p.untrack(in)
	out, err := net.Dial("tcp", p.target) // this goroutine runs in the host netns
	if err != nil {
		return
	}
	if !p.track(out) {
		out.Close()
		return
	}
	defer p.untrack(out)
	done := make(chan struct{}, 2)
	cp := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		if tc, ok := dst.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
		done <- struct{}{}
	}
	go cp(out, in)
	go cp(in, out)
	<-done
	<-done
}

// track registers conn unless the proxy is stopping (then false).
func (p *proxy) track(conn net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns == nil {
		return false
	}
	p.conns[conn] = struct{}{}
	return true
}

func (p *proxy) untrack(conn net.Conn) {
	conn.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns, conn)
}

// stop closes the listener and all connections and waits for the goroutines.
func (p *proxy) stop() {
	p.once.Do(func() {
		p.l.Close()
		p.mu.Lock()
		for conn := range p.conns {
			conn.Close()
		}
		p.conns = nil
		p.mu.Unlock()
		p.wg.Wait()
	})
}
