package virtio

import (
	"fmt"
	"math/bits"
)

// Device is a virtio device being driven: the transport plus the features
// agreed with it. Device drivers embed or hold one.
type Device struct {
	// Transport reaches the device's registers.
	Transport Transport
	dma       DMA
	features  uint64
}

// Negotiate resets the device and runs the initialisation sequence of §3.1.1
// up to FEATURES_OK: ACKNOWLEDGE, DRIVER, read the device's features, write
// the subset of want that it offers, set FEATURES_OK and re-read the status to
// check that the device kept it. VIRTIO_F_VERSION_1 is always requested and
// required: legacy devices are not supported. The caller then sets up its
// queues and calls Start.
func Negotiate(t Transport, dma DMA, want uint64) (*Device, error) {
	t.SetStatus(0) // reset, §3.1.1 step 1
	// §4.2.3.1 and §4.1.4.3.2: the driver waits for the reset to complete by
	// reading 0 back. Bound the wait: a device that never resets is broken.
	for i := 0; t.Status() != 0; i++ {
		if i == 1000 {
			return nil, fmt.Errorf("device did not reset: %w", ErrDeviceBroken)
		}
	}
	t.SetStatus(StatusAcknowledge)
	t.SetStatus(StatusAcknowledge | StatusDriver)
	offered := t.DeviceFeatures()
	if offered&FeatureVersion1 == 0 {
		t.SetStatus(StatusFailed)
		return nil, fmt.Errorf("device type %d offers no VIRTIO_F_VERSION_1 (a legacy device; for QEMU's virtio-mmio add -global virtio-mmio.force-legacy=false): %w",
			t.DeviceType(), ErrFeaturesRefused)
	}
	agreed := offered & (want | FeatureVersion1)
	t.SetDriverFeatures(agreed)
	t.SetStatus(StatusAcknowledge | StatusDriver | StatusFeaturesOK)
	if t.Status()&StatusFeaturesOK == 0 {
		t.SetStatus(StatusFailed)
		return nil, fmt.Errorf("device type %d with features %#x: %w", t.DeviceType(), agreed, ErrFeaturesRefused)
	}
	return &Device{Transport: t, dma: dma, features: agreed}, nil
}

// Features are the feature bits both sides agreed on.
func (d *Device) Features() uint64 { return d.features }

// Has reports whether all bits of f were agreed.
func (d *Device) Has(f uint64) bool { return d.features&f == f }

// SetupQueue creates queue i with at most size descriptors (rounded down to a
// power of two and to what the device supports) and gives it to the device
// (§3.1.1 step 7, §4.1.5.1.3, §4.2.3.2).
func (d *Device) SetupQueue(i, size uint16) (*Queue, error) {
	if size == 0 {
		return nil, fmt.Errorf("queue %d: size 0", i)
	}
	max := d.Transport.QueueMax(i)
	if max == 0 {
		return nil, fmt.Errorf("device type %d has no queue %d", d.Transport.DeviceType(), i)
	}
	n := min(size, max, MaxQueueSize)
	n = 1 << (bits.Len16(n) - 1) // largest power of two <= n
	q, err := newQueue(d.dma, i, n, d.Has(FeatureEventIdx))
	if err != nil {
		return nil, err
	}
	if err := d.Transport.EnableQueue(i, n, q.desc.Phys, q.avail.Phys, q.used.Phys); err != nil {
		return nil, fmt.Errorf("enabling queue %d: %w", i, err)
	}
	q.notify = d.Transport.Notifier(i)
	return q, nil
}

// Start sets DRIVER_OK: the device is live (§3.1.1 step 8).
func (d *Device) Start() {
	d.Transport.SetStatus(StatusAcknowledge | StatusDriver | StatusFeaturesOK | StatusDriverOK)
}

// Fail sets FAILED, telling the device the driver gave up (§2.1), and resets
// it so that it stops touching memory.
func (d *Device) Fail() {
	d.Transport.SetStatus(d.Transport.Status() | StatusFailed)
	d.Transport.SetStatus(0)
}

// ReadConfig reads the device configuration space consistently: it calls read
// until the configuration generation is the same before and after (§2.5.1),
// so multi-field values such as a MAC address are never torn. A device whose
// generation never settles is broken; the retries are capped.
func (d *Device) ReadConfig(read func(t Transport)) error {
	for range 1000 {
		before := d.Transport.ConfigGeneration()
		read(d.Transport)
		if d.Transport.ConfigGeneration() == before {
			return nil
		}
	}
	return fmt.Errorf("configuration generation never settles: %w", ErrDeviceBroken)
}
