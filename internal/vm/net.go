package vm

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Network modes of gobi run -net.
const (
	NetUser = "user" // QEMU's user-mode network: DHCP, NAT, -p forwards, no root
	NetTap  = "tap"  // an existing tap device (tap:NAME)
	NetLAN  = "lan"  // a private Ethernet of the unikernels on this host (lan:NAME)
	NetNone = "none" // no network card
)

// Net is a guest's network configuration.
type Net struct {
	Mode     string    // NetUser, NetTap, NetLAN or NetNone
	Name     string    // the tap device or the LAN
	Forwards []Forward // -p, user mode only
	IP       netip.Prefix
	Gateway  netip.Addr
	DNS      netip.Addr
}

// Forward is one -p [ADDR:]HOST:GUEST[/udp] port forward.
type Forward struct {
	UDP       bool
	HostAddr  netip.Addr
	HostPort  uint16
	GuestPort uint16
}

// ParseNetMode parses -net user|tap:NAME|lan:NAME|none.
func ParseNetMode(s string) (mode, name string, err error) {
	mode, name, _ = strings.Cut(s, ":")
	switch mode {
	case NetUser, NetNone:
		if name != "" {
			return "", "", fmt.Errorf("-net %s takes no name", s)
		}
	case NetTap, NetLAN:
		if name == "" || strings.ContainsAny(name, "/,= ") || len(name) > 15 {
			return "", "", fmt.Errorf("-net %s: want %s:NAME with a short name of letters, digits, - and _", s, mode)
		}
	default:
		return "", "", fmt.Errorf("unknown -net mode %q: want user, tap:NAME, lan:NAME or none", s)
	}
	return mode, name, nil
}

// ParseForward parses a -p value: [ADDR:]HOST:GUEST[/udp|/tcp].
func ParseForward(s string) (Forward, error) {
	var f Forward
	spec := s
	if rest, proto, ok := strings.Cut(s, "/"); ok {
		switch proto {
		case "udp":
			f.UDP = true
		case "tcp":
		default:
			return f, fmt.Errorf("-p %s: protocol %q is not tcp or udp", s, proto)
		}
		spec = rest
	}
	parts := strings.Split(spec, ":")
	f.HostAddr = netip.MustParseAddr("127.0.0.1")
	switch len(parts) {
	case 2:
	case 3:
		a, err := netip.ParseAddr(parts[0])
		if err != nil || !a.Is4() {
			return f, fmt.Errorf("-p %s: %q is not an IPv4 address to listen on", s, parts[0])
		}
		f.HostAddr = a
		parts = parts[1:]
	default:
		return f, fmt.Errorf("-p %s: want [ADDR:]HOSTPORT:GUESTPORT[/udp]", s)
	}
	hp, err1 := strconv.ParseUint(parts[0], 10, 16)
	gp, err2 := strconv.ParseUint(parts[1], 10, 16)
	if err1 != nil || err2 != nil || hp == 0 || gp == 0 {
		return f, fmt.Errorf("-p %s: ports must be numbers from 1 to 65535", s)
	}
	f.HostPort, f.GuestPort = uint16(hp), uint16(gp)
	return f, nil
}

// Validate checks the combination of flags.
func (n *Net) Validate() error {
	if len(n.Forwards) > 0 && n.Mode != NetUser {
		return fmt.Errorf("-p needs -net user (QEMU forwards ports only for its user-mode network)")
	}
	if n.Mode == NetLAN && !n.IP.IsValid() {
		return fmt.Errorf("-net lan:%s has no DHCP server: give the guest an address with -ip ADDR/PREFIX", n.Name)
	}
	if n.Gateway.IsValid() && !n.IP.IsValid() {
		return fmt.Errorf("-gw needs -ip: a gateway without a static address")
	}
	if n.IP.IsValid() && n.Gateway.IsValid() && n.IP.Addr().Is4() != n.Gateway.Is4() {
		return fmt.Errorf("-gw %s is not of the address family of -ip %s", n.Gateway, n.IP)
	}
	return nil
}

// Cmdline returns the guest's boot arguments for the configuration
// (docs/hostabi.md; read by package netstack).
func (n *Net) Cmdline() []string {
	var w []string
	switch {
	case n.Mode == NetNone:
		w = append(w, "gobi.ip=none")
	case n.IP.IsValid():
		w = append(w, "gobi.ip="+n.IP.String())
	}
	if n.Gateway.IsValid() {
		w = append(w, "gobi.gw="+n.Gateway.String())
	}
	if n.DNS.IsValid() {
		w = append(w, "gobi.dns="+n.DNS.String())
	}
	return w
}

// qemuArgs returns QEMU's arguments for the network card; lanSocket is the
// LAN hub's socket for NetLAN.
func (n *Net) qemuArgs(lanSocket string) []string {
	var netdev string
	switch n.Mode {
	case NetNone, "":
		return nil
	case NetUser:
		netdev = "user,id=net0"
		for _, f := range n.Forwards {
			proto := "tcp"
			if f.UDP {
				proto = "udp"
			}
			netdev += fmt.Sprintf(",hostfwd=%s:%s:%d-:%d", proto, f.HostAddr, f.HostPort, f.GuestPort)
		}
	case NetTap:
		netdev = "tap,id=net0,ifname=" + n.Name + ",script=no,downscript=no"
	case NetLAN:
		netdev = "stream,id=net0,server=off,addr.type=unix,addr.path=" + lanSocket
	}
	// virtio-mmio in its modern (version 2) register layout, which the
	// guest driver speaks (virtio 1.2 §4.2.2); QEMU defaults to legacy.
	return []string{"-global", "virtio-mmio.force-legacy=false", "-netdev", netdev, "-device", "virtio-net-device,netdev=net0"}
}
