package guestnet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/gobi-os/gobi/drivers/fdnet"
	"github.com/gobi-os/gobi/drivers/virtio/virtionet"
	"github.com/gobi-os/gobi/netstack"
	"github.com/gobi-os/gobi/platform"
	"github.com/gobi-os/gobi/pump"
)

// init finds the network card and attaches the pump at once, so that
// connections the program opens early wait for the network rather than
// fail; the rest happens in the background.
func init() {
	if !platform.InGuest() {
		return // a host process: the host's network serves the program
	}
	cmdline, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		platform.Log("network: reading the boot arguments: " + err.Error())
		return
	}
	cfg, dhcp, err := netstack.ParseBootArgs(strings.TrimSpace(string(cmdline)))
	if err == netstack.ErrNoNetwork {
		return
	}
	if err != nil {
		platform.Log("network: " + err.Error())
		return
	}
	sandboxed := platform.Sandboxed()
	nic, ok, err := findNIC(sandboxed)
	if err != nil {
		platform.Log("network: " + err.Error())
		return
	}
	if !ok {
		return // no network card (-net none): loopback only
	}
	wake, err := platform.NetAttach()
	if err != nil {
		return // not a guest kernel, or the network is already attached
	}
	configured := make(chan struct{})
	go func() {
		if err := up(wake, nic, cfg, dhcp, configured); err != nil {
			platform.Log("network: " + err.Error())
			close(configured)
		}
	}()
	// As on a host whose network is up before its programs start, main
	// runs once the interface has its address — within a bound, so that a
	// missing DHCP server delays the program rather than stopping it.
	select {
	case <-configured:
	case <-time.After(configureWait):
		platform.Log(fmt.Sprintf("network: no address after %v (no DHCP server? use -ip); starting the program, connections wait", configureWait))
	}
}

// configureWait bounds how long the program waits for its address.
const configureWait = 10 * time.Second

// findNIC returns the network card: the sandbox's host descriptor, or the
// VM's virtio-net device with its interrupt served. ok is false when there
// is none.
func findNIC(sandboxed bool) (nic netstack.NIC, ok bool, err error) {
	if sandboxed {
		fd, err := platform.HostNetFD()
		if err != nil {
			return nil, false, nil
		}
		d, err := fdnet.New(fd)
		return d, err == nil, err
	}
	m, line, ok := findNet()
	if !ok {
		return nil, false, nil
	}
	d, err := virtionet.New(m, dma{})
	if err != nil {
		return nil, false, err
	}
	irq, err := platform.IRQ(line)
	if err != nil {
		return nil, false, fmt.Errorf("interrupt line %d: %w", line, err)
	}
	go serveIRQ(irq, line, d)
	return d, true, nil
}

// up starts the stack and the pump over nic; it returns only on
// failure.
func up(wakeFile *os.File, nic netstack.NIC, cfg netstack.Config, dhcp bool, configured chan<- struct{}) error {
	st, err := netstack.New(nic)
	if err != nil {
		return err
	}

	ready := make(chan struct{})
	rc, err := wakeFile.SyscallConn()
	if err != nil {
		return fmt.Errorf("the pump's eventfd: %w", err)
	}
	go func() {
		<-st.Failed()
		platform.Log("network: the network card failed, the network is down: " + st.Err().Error())
	}()
	p := pump.New(pump.Guest{}, st.Gvisor(), ready)
	p.CorkWith(st)
	go func() {
		if err := p.RunOn(context.Background(), rc); err != nil {
			platform.Log("network: the pump stopped: " + err.Error())
		}
	}()

	ctx := context.Background()
	if dhcp {
		if cfg, err = st.DHCP(ctx, cfg); err != nil {
			return err
		}
		go st.KeepLease(ctx, cfg)
	} else if err := st.Configure(cfg); err != nil {
		return err
	}
	if err := platform.NetLink(nic.MAC(), nic.MTU()); err != nil {
		return err
	}
	for _, a := range cfg.Addrs {
		if err := platform.NetAddr(a); err != nil {
			return err
		}
	}
	if err := platform.Publish("/etc/resolv.conf", cfg.ResolvConf()); err != nil {
		return fmt.Errorf("publishing /etc/resolv.conf: %w", err)
	}
	close(ready)
	addrs := make([]string, len(cfg.Addrs))
	for i, a := range cfg.Addrs {
		addrs[i] = a.String()
	}
	platform.Log("network up " + strings.Join(addrs, " "))
	close(configured)
	return nil
}

// serveIRQ hands the device's interrupts to its driver. It waits for the
// line's eventfd inside RawConn.Read without reading it: AckIRQ zeroes the
// count, so each interrupt after it is a new edge for the runtime's poller,
// and an interrupt is one crossing into the kernel instead of three
// (docs/guestabi.md). The callback's first call in each Read, before any
// interrupt, finds nothing to do.
//
// Each Read ends after watchInterval so that the driver can check for
// received frames no interrupt announced and frames the card does not
// send (virtionet.Device.Watch): a lost notification would otherwise stop
// the network for good, silently. Finding one is a bug, and it is printed.
func serveIRQ(f *os.File, line int, nic *virtionet.Device) {
	rc, err := f.SyscallConn()
	for err == nil {
		if err = f.SetReadDeadline(time.Now().Add(watchInterval)); err != nil {
			break
		}
		var ackErr error
		err = rc.Read(func(uintptr) bool {
			nic.HandleInterrupt()
			ackErr = platform.AckIRQ(line)
			return ackErr != nil // false: wait for the next interrupt
		})
		if ackErr != nil {
			err = ackErr
			break
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			err = nil
			watch(line, nic)
		}
	}
	platform.Log(fmt.Sprintf("network: interrupt line %d: %v", line, err))
}

// watchInterval is how often serveIRQ looks for a lost notification;
// frames are declared stuck after waiting between one and two intervals.
const watchInterval = time.Second

// watch runs the driver's guard against lost notifications and prints what
// it found: either is a bug, which the guard makes cost a second or two
// instead of the network. Both lines say "lost notification:", which
// bench/run.sh net looks for.
func watch(line int, nic *virtionet.Device) {
	lostRx, stalledTx := nic.Watch()
	if lostRx == 0 && stalledTx == 0 {
		return
	}
	s := nic.Stats()
	if lostRx > 0 {
		platform.Log(fmt.Sprintf("network: lost notification: interrupt line %d: %d received frames waited over %v with no interrupt; served them now (lost interrupts: %d, interrupts served: %d). This is a bug in Gobi: please report it",
			line, lostRx, watchInterval, s.LostInterrupts, s.Interrupts))
	}
	if stalledTx > 0 {
		platform.Log(fmt.Sprintf("network: lost notification: the card sent none of %d frames for over %v; notified it again (stalls: %d). This is a bug in Gobi or QEMU: please report it",
			stalledTx, watchInterval, s.TxStalls))
	}
}
