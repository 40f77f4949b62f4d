// Command sandboxguest tries, in turn, what a program confined by Gobi's
// sandbox must not be able to do, and reports each outcome on stdout as
// "NAME: refused (ERROR)" or "NAME: ALLOWED". It keeps going after each
// attempt; under -strict the first forbidden host call kills it.
//
// Its arguments are the address of a TCP listener on the host, which a real
// host socket would reach (the sandbox's sockets are its own), and the
// content of the host's /etc/passwd, which the host's file system would
// show.
package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: sandboxguest HOST:PORT HOST-PASSWD")
		os.Exit(2)
	}
	// The sandbox has an /etc/passwd of its own (root only), as a Gobi VM
	// does; the host's must not show through.
	report("open /etc/passwd", func() error {
		b, err := os.ReadFile("/etc/passwd")
		if err != nil {
			return err
		}
		if !bytes.Equal(b, []byte(os.Args[2])) {
			return fmt.Errorf("not the host's file: %d bytes, %q", len(b), strings.SplitN(string(b), "\n", 2)[0])
		}
		return nil
	})
	report("host socket", func() error {
		c, err := net.DialTimeout("tcp", os.Args[1], 2*time.Second)
		if err == nil {
			c.Close()
		}
		return err
	})
	// The launcher's descriptors sit at 1016 and up, out of the program's
	// descriptor table, which the kernel keeps below them.
	report("dup2 onto a host descriptor", func() error {
		return syscall.Dup3(1, 1020, 0)
	})
	report("execve /bin/sh", func() error {
		return syscall.Exec("/bin/sh", []string{"sh", "-c", "echo escaped"}, nil)
	})
	report("ptrace", func() error {
		_, _, e := syscall.RawSyscall(syscall.SYS_PTRACE, syscall.PTRACE_TRACEME, 0, 0)
		return errnoErr(e)
	})
	report("mprotect PROT_EXEC", func() error {
		b, err := syscall.Mmap(-1, 0, 4096, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
		if err != nil {
			return fmt.Errorf("mmap: %v", err)
		}
		return syscall.Mprotect(b, syscall.PROT_READ|syscall.PROT_EXEC)
	})
	report("fork", func() error {
		pid, _, e := syscall.RawSyscall(syscall.SYS_FORK, 0, 0, 0)
		if e == 0 && pid == 0 {
			os.Exit(0) // the child of a fork that should never have happened
		}
		return errnoErr(e)
	})
	fmt.Println("still running")
}

// report runs one attempt; try returns the error that refused it, or nil if
// it succeeded.
func report(name string, try func() error) {
	if err := try(); err != nil {
		fmt.Printf("%s: refused (%v)\n", name, err)
		return
	}
	fmt.Printf("%s: ALLOWED\n", name)
}

func errnoErr(e syscall.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}
