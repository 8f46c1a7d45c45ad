package link

import (
	"encoding/binary"
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// Announce tells the segment that the addresses now live behind link name's
// MAC: a gratuitous ARP for each IPv4 address, an unsolicited neighbour
// advertisement (override flag) for each IPv6 address.
func Announce(name string, mac net.HardwareAddr, index int, addrs []*net.IPNet) error {
	for _, a := range addrs {
		var err error
		if ip4 := a.IP.To4(); ip4 != nil {
			err = gratuitousARP(index, mac, ip4)
		} else {
			err = unsolicitedNA(name, mac, a.IP)
		}
		if err != nil {
			return fmt.Errorf("announce %s on %s: %w", a.IP, name, err)
		}
	}
	return nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func gratuitousARP(ifindex int, mac net.HardwareAddr, ip net.IP) error {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM, int(htons(unix.ETH_P_ARP)))
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	pkt := make([]byte, 28)
	binary.BigEndian.PutUint16(pkt[0:], 1)      // Ethernet
	binary.BigEndian.PutUint16(pkt[2:], 0x0800) // IPv4
	pkt[4], pkt[5] = 6, 4
	binary.BigEndian.PutUint16(pkt[6:], 1) // request
	copy(pkt[8:], mac)
	copy(pkt[14:], ip)
	copy(pkt[24:], ip) // target hardware address stays zero
	to := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ARP), Ifindex: ifindex, Halen: 6,
		Addr: [8]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}
	return unix.Sendto(fd, pkt, 0, to)
}

func unsolicitedNA(name string, mac net.HardwareAddr, ip net.IP) error {
	fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_RAW, unix.IPPROTO_ICMPV6)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.BindToDevice(fd, name); err != nil {
		return err
	}
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_HOPS, 255); err != nil {
		return err
	}
	var src [16]byte
	copy(src[:], ip.To16())
	if err := unix.Bind(fd, &unix.SockaddrInet6{Addr: src}); err != nil {
		return err
	}
	// type 136, code 0, checksum by the kernel, flags: override; target; option 2 (target link-layer address)
	pkt := make([]byte, 32)
	pkt[0] = 136
	pkt[4] = 0x20
	copy(pkt[8:], ip.To16())
	pkt[24], pkt[25] = 2, 1
	copy(pkt[26:], mac)
	to := &unix.SockaddrInet6{Addr: [16]byte{0xff, 0x02, 15: 0x01}}
	return unix.Sendto(fd, pkt, 0, to)
}
