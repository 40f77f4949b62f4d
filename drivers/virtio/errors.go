package virtio

import "errors"

var (
	// ErrQueueFull is returned by (*Queue).Add when the descriptor table has
	// fewer free descriptors than the chain needs; reclaim used buffers with
	// Pop and retry.
	ErrQueueFull = errors.New("virtqueue full: reclaim used buffers first")

	// ErrDeviceBroken reports that the device broke the virtio protocol, for
	// example by returning a descriptor id it was never given. The driver
	// should stop using the device (reset it); nothing it wrote can be
	// trusted.
	ErrDeviceBroken = errors.New("virtio device broke the protocol")

	// ErrFeaturesRefused reports that the device did not keep FEATURES_OK set
	// after the driver wrote its feature subset (§3.1.1 step 6): the device
	// cannot work with those features.
	ErrFeaturesRefused = errors.New("virtio device refused the negotiated features (FEATURES_OK not kept)")

	// ErrNoDevice reports that no virtio device answers at an address.
	ErrNoDevice = errors.New("no virtio device")
)
