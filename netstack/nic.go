package netstack

import "net"

// NIC is a network interface card as the stack needs it: whole Ethernet
// frames (destination, source, type, payload; no FCS) in and out.
// *virtionet.Device implements it.
type NIC interface {
	// MAC is the card's Ethernet address.
	MAC() net.HardwareAddr
	// MTU is the largest Ethernet payload (IP packet) the link carries.
	MTU() int
	// Transmit queues frames for sending and returns how many it consumed
	// from the front; it must not keep references to them.
	Transmit(frames [][]byte) (int, error)
	// Receive hands every frame that has arrived to fn and returns how many;
	// the frame is valid only during the call.
	Receive(fn func(frame []byte)) (int, error)
	// Ready is signalled when Receive may have frames.
	Ready() <-chan struct{}
}

// A DirectNIC runs the stack's receive work itself, in the goroutine that
// serves its interrupt, instead of signalling Ready to a receive goroutine
// of the stack: one goroutine switch less per interrupt, which under TCG is
// a measurable share of a small request's cost. *virtionet.Device
// implements it.
type DirectNIC interface {
	NIC
	// SetReceiver is called once, before the stack expects frames; the NIC
	// then calls receive whenever frames may have arrived, never
	// concurrently with itself. receive calls Receive.
	SetReceiver(receive func())
}

// A CorkNIC can batch the notifications to its device for the frames it is
// given between Cork and Uncork. *virtionet.Device implements it;
// Stack.Cork uses it.
type CorkNIC interface {
	NIC
	Cork()
	Uncork()
}
