package vm

import (
	"fmt"
	"net/netip"
	"os"
	"syscall"

	"github.com/gobi-os/gobi/internal/usernet"
)

// startUserNet gives the sandbox gobi's user-mode network (internal/usernet):
// a SOCK_SEQPACKET socketpair, one Ethernet frame per message, whose host end
// a gVisor stack in gobi serves as the guest's gateway with QEMU's user-mode
// addresses, the -p forwards and outbound NAT. It needs no privileges. There
// is no DHCP server: the guest is configured statically unless -ip says
// otherwise.
func (c *SandboxConfig) startUserNet() (stop func(), words []string, f *os.File, err error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("creating the sandbox's network socket: %w", err)
	}
	hostEnd := os.NewFile(uintptr(fds[0]), "usernet")
	guestEnd := os.NewFile(uintptr(fds[1]), "usernet-sandbox")
	var fwds []usernet.Forward
	for _, fw := range c.Net.Forwards {
		fwds = append(fwds, usernet.Forward{UDP: fw.UDP, Host: netip.AddrPortFrom(fw.HostAddr, fw.HostPort), GuestPort: fw.GuestPort})
	}
	logf := func(format string, args ...any) { fmt.Fprintf(c.Console, "gobi: network: "+format+"\n", args...) }
	n, err := usernet.Start(hostEnd, fwds, logf) // takes hostEnd
	if err != nil {
		guestEnd.Close()
		return nil, nil, nil, err
	}
	cfg := *c.Net
	if !cfg.IP.IsValid() {
		cfg.IP = netip.PrefixFrom(usernet.Guest, usernet.Subnet.Bits())
		cfg.Gateway = usernet.Gateway
		if !cfg.DNS.IsValid() {
			cfg.DNS = usernet.DNS
		}
	}
	return func() { n.Close() }, cfg.Cmdline(), guestEnd, nil
}
