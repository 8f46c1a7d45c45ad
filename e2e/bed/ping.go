package bed

import (
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/containernetworking/plugins/pkg/ns"
)

// Ping sends count ICMP echo requests from the pod to dst (raw socket in the
// pod netns, no ping binary needed) and returns the round-trip times of
// the replies. It fails when no reply comes back.
func (p *Pod) Ping(dst net.IP, count int, timeout time.Duration) ([]time.Duration, error) {
	var rtts []time.Duration
	err := ns.WithNetNSPath(p.Netns, func(ns.NetNS) error {
		fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_RAW, syscall.IPPROTO_ICMP)
		if err != nil {
			return fmt.Errorf("raw ICMP socket: %w", err)
		}
		defer syscall.Close(fd)
		tv := syscall.NsecToTimeval(int64(100 * time.Millisecond))
		if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
			return fmt.Errorf("SO_RCVTIMEO: %w", err)
		}
		id := uint16(os.Getpid())
		to := &syscall.SockaddrInet4{}
		copy(to.Addr[:], dst.To4())
		for seq := 1; seq <= count; seq++ {
			if rtt, ok := echo(fd, to, id, uint16(seq), timeout); ok {
				rtts = append(rtts, rtt)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ping %s from pod %s: %w", dst, p.Name, err)
	}
	if len(rtts) == 0 {
		return nil, fmt.Errorf("ping %s from pod %s: 0 of %d replies", dst, p.Name, count)
	}
	return rtts, nil
}

func echo(fd int, to *syscall.SockaddrInet4, id, seq uint16, timeout time.Duration) (time.Duration, bool) {
	msg := make([]byte, 16)
	msg[0] = 8 // echo request
	binary.BigEndian.PutUint16(msg[4:], id)
	binary.BigEndian.PutUint16(msg[6:], seq)
	copy(msg[8:], "vfo-ping")
	binary.BigEndian.PutUint16(msg[2:], checksum(msg))
	start := time.Now()
	if err := syscall.Sendto(fd, msg, 0, to); err != nil {
		time.Sleep(timeout)
		return 0, false
	}
	buf := make([]byte, 1500)
	for time.Since(start) < timeout {
		n, from, err := syscall.Recvfrom(fd, buf, 0)
		if err != nil || n < 28 {
			continue
		}
		f, ok := from.(*syscall.SockaddrInet4)
		icmp := buf[int(buf[0]&0x0f)*4 : n]
		if ok && f.Addr == to.Addr && len(icmp) >= 8 && icmp[0] == 0 &&
			binary.BigEndian.Uint16(icmp[4:]) == id && binary.BigEndian.Uint16(icmp[6:]) == seq {
			return time.Since(start), true
		}
	}
	return 0, false
}

func checksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return ^uint16(s)
}
