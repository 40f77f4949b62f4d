// Package pump connects the guest kernel's sockets to a gVisor network stack.
//
// Inside a Gobi guest the program's socket calls are answered by the kernel
// from per-socket receive and transmit buffers (kernel/socket_ext.go), so the
// program never waits on Go code. The pump is that Go code: one goroutine
// learns from the kernel which sockets need work (a new listener, a connect,
// data to send, room to receive, a close) and, per socket, goroutines move
// bytes between the kernel's buffers and gVisor endpoints (through
// gvisor.dev/gvisor/pkg/tcpip/adapters/gonet). The kernel side is reached
// through the Kernel interface, which package platform implements in a guest
// and tests replace with a fake.
package pump
