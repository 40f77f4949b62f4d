// Package linuxguest builds the Linux baseline guest that Gobi's benchmarks
// compare against: Debian's cloud kernel (fetched with apt-get download and
// unpacked with dpkg -x into a cache, never installed on the host) and an
// initramfs holding only a static Go program as /init — or, when the program
// needs a network, the /init wrapper of package bench/linuxguest/init plus
// the virtio modules, with the program as /payload.
//
// It runs on the host. The guest boots on QEMU's microvm machine under TCG.
package linuxguest
