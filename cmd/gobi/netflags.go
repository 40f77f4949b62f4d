package main

import (
	"flag"
	"fmt"
	"net/netip"
	"strings"

	"github.com/gobi-os/gobi/internal/vm"
)

// netFlags are gobi run's network flags.
type netFlags struct {
	mode     *string
	forwards forwardFlag
	ip       *string
	gw       *string
	dns      *string
}

func addNetFlags(fs *flag.FlagSet) *netFlags {
	n := &netFlags{
		mode: fs.String("net", "user", "the guest's network: `user` (QEMU's NAT, no root), tap:NAME, lan:NAME (a private LAN of the unikernels on this host) or none"),
		ip:   fs.String("ip", "", "static `ADDR/PREFIX` for the guest (default: DHCP)"),
		gw:   fs.String("gw", "", "the guest's default gateway `ADDR`"),
		dns:  fs.String("dns", "", "the guest's name server `ADDR`"),
	}
	fs.Var(&n.forwards, "p", "forward `[ADDR:]HOST:GUEST[/udp]` from the host (ADDR 127.0.0.1 by default) to the guest; repeatable")
	return n
}

// forwardFlag collects -p values.
type forwardFlag []vm.Forward

func (f *forwardFlag) String() string {
	var s []string
	for _, x := range *f {
		s = append(s, fmt.Sprintf("%s:%d:%d", x.HostAddr, x.HostPort, x.GuestPort))
	}
	return strings.Join(s, ",")
}

func (f *forwardFlag) Set(v string) error {
	x, err := vm.ParseForward(v)
	if err != nil {
		return err
	}
	*f = append(*f, x)
	return nil
}

// config checks the flags and returns the guest's network.
func (n *netFlags) config() (*vm.Net, error) {
	mode, name, err := vm.ParseNetMode(*n.mode)
	if err != nil {
		return nil, err
	}
	c := &vm.Net{Mode: mode, Name: name, Forwards: n.forwards}
	if *n.ip != "" {
		if c.IP, err = netip.ParsePrefix(*n.ip); err != nil {
			return nil, fmt.Errorf("-ip %s: want ADDR/PREFIX, such as 10.0.2.15/24", *n.ip)
		}
	}
	if *n.gw != "" {
		if c.Gateway, err = netip.ParseAddr(*n.gw); err != nil {
			return nil, fmt.Errorf("-gw %s: not an IP address", *n.gw)
		}
	}
	if *n.dns != "" {
		if c.DNS, err = netip.ParseAddr(*n.dns); err != nil {
			return nil, fmt.Errorf("-dns %s: not an IP address", *n.dns)
		}
	}
	return c, c.Validate()
}
