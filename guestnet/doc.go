// Package guestnet brings networking up inside a Gobi guest. gobi build links
// it (a blank import) into every image of a program that uses package net.
//
// Its init attaches the network pump to the kernel at once, so connections
// the program opens early wait for the network instead of failing; it then
// finds the network card — the virtio-net device in a VM, the launcher's host
// descriptor in the sandbox (drivers/fdnet) — starts gVisor's stack over it, and
// configures the interface from the boot arguments (gobi.ip, gobi.gw,
// gobi.dns) or by DHCP, in the background. When the interface has its
// address it publishes /etc/resolv.conf and logs "network up <addr>", which
// gobi prints on the host as "gobi: network up <addr>".
//
// On QEMU's microvm machine virtio-mmio transport i sits at 0xfeb00000 +
// 512*i with interrupt line 5+i (gobi starts QEMU with acpi=off,ioapic2=off;
// docs/guestabi.md).
package guestnet
