package main

import (
	"fmt"
	"net"
	"time"

	"github.com/vishvananda/netlink"
)

// nicWait bounds the wait for the NIC to appear after virtio_net loads; its
// probe normally completes inside finit_module.
const nicWait = 10 * time.Second

// configureNetwork brings up lo and the first Ethernet NIC with addr (CIDR
// form) and a default route through gw, over rtnetlink.
func configureNetwork(addr, gw string) error {
	a, err := netlink.ParseAddr(addr)
	if err != nil {
		return fmt.Errorf("bad -ip %q: %w", addr, err)
	}
	gwIP := net.ParseIP(gw)
	if gwIP == nil {
		return fmt.Errorf("bad -gw %q: want an IP address", gw)
	}
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("finding lo: %w", err)
	}
	if err := netlink.LinkSetUp(lo); err != nil {
		return fmt.Errorf("bringing up lo: %w", err)
	}
	nic, err := waitNIC()
	if err != nil {
		return err
	}
	name := nic.Attrs().Name
	if err := netlink.AddrAdd(nic, a); err != nil {
		return fmt.Errorf("adding %s to %s: %w", addr, name, err)
	}
	if err := netlink.LinkSetUp(nic); err != nil {
		return fmt.Errorf("bringing up %s: %w", name, err)
	}
	if err := netlink.RouteAdd(&netlink.Route{LinkIndex: nic.Attrs().Index, Gw: gwIP}); err != nil {
		return fmt.Errorf("adding default route via %s: %w", gw, err)
	}
	return nil
}

// waitNIC returns the first link with an Ethernet address.
func waitNIC() (netlink.Link, error) {
	deadline := time.Now().Add(nicWait)
	for {
		links, err := netlink.LinkList()
		if err != nil {
			return nil, fmt.Errorf("listing links: %w", err)
		}
		for _, l := range links {
			if len(l.Attrs().HardwareAddr) == 6 && l.Type() == "device" {
				return l, nil
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("no Ethernet NIC after %v: does QEMU have -device virtio-net-device?", nicWait)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
