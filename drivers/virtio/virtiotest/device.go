package virtiotest

import (
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/gobi-os/gobi/drivers/virtio"
)

// Device is a fake virtio device: the transport-independent state behind the
// MMIO and PCI register files. Set the exported fields before the driver
// starts; the methods are safe for concurrent use with the driver.
type Device struct {
	// Type is the virtio device ID (1 = network).
	Type uint32
	// Features are the feature bits the device offers.
	Features uint64
	// Refuse lists feature bits the device cannot work with: if the driver
	// accepts any of them, the device does not keep FEATURES_OK (§2.2.2).
	Refuse uint64
	// QueueMax is the maximum size of each queue.
	QueueMax []uint16
	// Config is the device-specific configuration space.
	Config []byte
	// OnNotify, if set, is called (without locks held) when the driver
	// notifies queue q.
	OnNotify func(q uint16)

	ram *RAM

	mu             sync.Mutex
	status         uint8
	statusLog      []uint8
	driverFeatures uint64
	devFeatSel     uint32
	drvFeatSel     uint32
	queueSel       uint16
	queues         []queueRegs
	notifies       []int
	isr            uint32
	generation     uint32
	errs           []error
}

type queueRegs struct {
	size                 uint16
	desc, driver, device uint64
	q                    *Queue
}

// NewDevice returns a fake device of the given type whose DMA goes to ram.
func NewDevice(ram *RAM, typ uint32, features uint64, queueMax []uint16, config []byte) *Device {
	return &Device{Type: typ, Features: features, QueueMax: queueMax, Config: config, ram: ram}
}

// Status is the device status the driver last set (and the device kept).
func (d *Device) Status() uint8 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.status
}

// StatusLog is every value the driver wrote to the status field, in order.
func (d *Device) StatusLog() []uint8 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]uint8(nil), d.statusLog...)
}

// DriverFeatures are the feature bits the driver accepted.
func (d *Device) DriverFeatures() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.driverFeatures
}

// Queue is the device side of queue i once the driver made it ready, else nil.
func (d *Device) Queue(i int) *Queue {
	d.mu.Lock()
	defer d.mu.Unlock()
	if i >= len(d.queues) {
		return nil
	}
	return d.queues[i].q
}

// Errors lists the protocol violations the device saw from the driver.
func (d *Device) Errors() []error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]error(nil), d.errs...)
}

// Notifies is how many times the driver notified queue i.
func (d *Device) Notifies(i int) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	if i >= len(d.notifies) {
		return 0
	}
	return d.notifies[i]
}

// Interrupt latches interrupt cause bits (virtio.InterruptUsedBuffer,
// virtio.InterruptConfigChanged) for the driver to read.
func (d *Device) Interrupt(cause uint32) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.isr |= cause
}

// SetConfig changes the configuration space at off and bumps the
// configuration generation (§2.5.1), as a device does when, say, the link
// goes down.
func (d *Device) SetConfig(off int, b []byte) {
	d.mu.Lock()
	defer d.mu.Unlock()
	copy(d.Config[off:], b)
	d.generation++
	d.isr |= virtio.InterruptConfigChanged
}

func (d *Device) resetLocked() {
	d.status, d.driverFeatures, d.isr = 0, 0, 0
	d.devFeatSel, d.drvFeatSel, d.queueSel = 0, 0, 0
	d.queues = make([]queueRegs, len(d.QueueMax))
	d.notifies = make([]int, len(d.QueueMax))
}

func (d *Device) setStatusLocked(v uint8) {
	d.statusLog = append(d.statusLog, v)
	if v == 0 {
		d.resetLocked()
		return
	}
	if v&virtio.StatusFeaturesOK != 0 && d.status&virtio.StatusFeaturesOK == 0 {
		// §2.2.2: a device must refuse features it did not offer, and
		// here also those it was told to refuse and any set without
		// VERSION_1 (this fake is a modern-only device).
		f := d.driverFeatures
		if f&^d.Features != 0 || f&d.Refuse != 0 || f&virtio.FeatureVersion1 == 0 {
			v &^= virtio.StatusFeaturesOK
		}
	}
	d.status = v
}

func (d *Device) features(sel uint32) uint32 {
	switch sel {
	case 0:
		return uint32(d.Features)
	case 1:
		return uint32(d.Features >> 32)
	}
	return 0
}

func (d *Device) setDriverFeaturesLocked(sel, v uint32) {
	switch sel {
	case 0:
		d.driverFeatures = d.driverFeatures&^0xffffffff | uint64(v)
	case 1:
		d.driverFeatures = d.driverFeatures&0xffffffff | uint64(v)<<32
	}
}

func (d *Device) selectedLocked() *queueRegs {
	if d.queues == nil {
		d.resetLocked()
	}
	if int(d.queueSel) >= len(d.queues) {
		return nil
	}
	return &d.queues[d.queueSel]
}

func (d *Device) queueMaxLocked() uint16 {
	if r := d.selectedLocked(); r != nil {
		return d.QueueMax[d.queueSel]
	}
	return 0
}

func (d *Device) queueReadyLocked() bool {
	r := d.selectedLocked()
	return r != nil && r.q != nil
}

// enableQueueLocked is the write of 1 to QueueReady / queue_enable.
func (d *Device) enableQueueLocked() {
	if err := d.tryEnableQueueLocked(); err != nil {
		d.errs = append(d.errs, err)
	}
}

func (d *Device) tryEnableQueueLocked() error {
	r := d.selectedLocked()
	if r == nil {
		return fmt.Errorf("queue %d does not exist", d.queueSel)
	}
	if r.size == 0 || r.size > d.QueueMax[d.queueSel] || r.size&(r.size-1) != 0 {
		return fmt.Errorf("queue %d: bad size %d", d.queueSel, r.size)
	}
	q, err := newQueue(d.ram, r.size, d.driverFeatures&virtio.FeatureEventIdx != 0, r.desc, r.driver, r.device)
	if err != nil {
		return fmt.Errorf("queue %d: %w", d.queueSel, err)
	}
	r.q = q
	return nil
}

// notify records a driver notification and calls OnNotify.
func (d *Device) notify(q uint16) {
	d.mu.Lock()
	if d.queues == nil {
		d.resetLocked()
	}
	if int(q) < len(d.notifies) {
		d.notifies[q]++
	}
	fn := d.OnNotify
	d.mu.Unlock()
	if fn != nil {
		fn(q)
	}
}

func (d *Device) takeISRLocked() uint32 {
	v := d.isr
	d.isr = 0
	return v
}

// configRead reads n (1, 2 or 4) bytes of configuration space; out of range
// reads as 0.
func (d *Device) configReadLocked(off uint64, n int) uint32 {
	if off+uint64(n) > uint64(len(d.Config)) {
		return 0
	}
	b := d.Config[off:]
	switch n {
	case 1:
		return uint32(b[0])
	case 2:
		return uint32(binary.LittleEndian.Uint16(b))
	}
	return binary.LittleEndian.Uint32(b)
}

// errNotify is a notification written to the wrong place or with the wrong
// queue index.
type errNotify struct {
	off uint64
	v   uint32
}

// Error implements error.
func (e errNotify) Error() string {
	return fmt.Sprintf("notification value %d at notify offset %#x", e.v, e.off)
}
