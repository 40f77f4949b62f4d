package linuxguest

import (
	"bytes"
	"debug/elf"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
)

// NetModules are the modules that give the guest its virtio-net NIC on
// QEMU's microvm machine (virtio-mmio transport); Debian's cloud kernel builds
// virtio as modules (CONFIG_VIRTIO=m, CONFIG_VIRTIO_MMIO=m, CONFIG_VIRTIO_NET=m).
var NetModules = []string{"virtio_mmio", "virtio_net"}

// ModuleLoadOrder returns the paths of the named modules and everything they
// depend on, each dependency before its users, read from each module's
// .modinfo "depends=" entry (what depmod turns into modules.dep, which the
// package does not ship: it is generated at install time).
func (k *Kernel) ModuleLoadOrder(names ...string) ([]string, error) {
	paths := map[string]string{}
	err := filepath.WalkDir(k.Modules, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if name, ok := strings.CutSuffix(d.Name(), ".ko"); ok && !d.IsDir() {
			paths[moduleName(name)] = path
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing modules of %s: %w", k.Version, err)
	}
	var order []string
	state := map[string]int{} // 1: being visited, 2: done
	var visit func(name string, from []string) error
	visit = func(name string, from []string) error {
		name = moduleName(name)
		switch state[name] {
		case 1:
			return fmt.Errorf("module dependency cycle: %s -> %s", strings.Join(from, " -> "), name)
		case 2:
			return nil
		}
		path, ok := paths[name]
		if !ok {
			return fmt.Errorf("kernel %s has no module %s (needed by %v): is it built in? see boot/config-%s", k.Version, name, from, k.Version)
		}
		state[name] = 1
		deps, err := moduleDepends(path)
		if err != nil {
			return err
		}
		chain := append(from[:len(from):len(from)], name) // a copy: siblings share from
		for _, d := range deps {
			if err := visit(d, chain); err != nil {
				return err
			}
		}
		state[name] = 2
		order = append(order, path)
		return nil
	}
	for _, n := range names {
		if err := visit(n, nil); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// moduleName normalises a module name: the kernel treats '-' and '_' alike.
func moduleName(s string) string {
	return strings.ReplaceAll(s, "-", "_")
}

// moduleDepends reads the "depends=" entry of a module's .modinfo section, a
// sequence of NUL-terminated key=value strings.
func moduleDepends(path string) ([]string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading module: %w", err)
	}
	defer f.Close()
	sec := f.Section(".modinfo")
	if sec == nil {
		return nil, fmt.Errorf("module %s has no .modinfo section", path)
	}
	info, err := sec.Data()
	if err != nil {
		return nil, fmt.Errorf("reading .modinfo of %s: %w", path, err)
	}
	for _, kv := range bytes.Split(info, []byte{0}) {
		if v, ok := bytes.CutPrefix(kv, []byte("depends=")); ok {
			if len(v) == 0 {
				return nil, nil
			}
			return strings.Split(string(v), ","), nil
		}
	}
	return nil, nil
}
