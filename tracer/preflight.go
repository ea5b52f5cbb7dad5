//go:build linux

package tracer

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

const (
	btfPath     = "/sys/kernel/btf/vmlinux"
	tracefsPath = "/sys/kernel/tracing"
)

// Preflight checks what loading needs, with one clear error per problem
// (tracefs, which only the syscall tracepoints need, is Open's to mount).
func Preflight() error {
	if err := checkPrivileges(); err != nil {
		return err
	}
	if _, err := os.Stat(btfPath); err != nil {
		return fmt.Errorf("kernel BTF not found at %s: zombietrace needs a kernel built with CONFIG_DEBUG_INFO_BTF=y", btfPath)
	}
	return nil
}

const (
	capSysAdmin = 21
	capPerfmon  = 38
	capBPF      = 39
)

func checkPrivileges() error {
	if os.Geteuid() == 0 {
		return nil
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("reading capabilities: %w", err)
	}
	has := func(c uint) bool { return data[c/32].Effective&(1<<(c%32)) != 0 }
	if has(capSysAdmin) || (has(capBPF) && has(capPerfmon)) {
		return nil
	}
	return errors.New("tracing needs root (or CAP_BPF and CAP_PERFMON): run it with sudo")
}

func kernelRelease() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}

// KernelRelease is uname -r.
func KernelRelease() string { return kernelRelease() }

// ensureTracefs mounts tracefs where the syscall tracepoints need it. It is
// left mounted: that changes nothing for anyone else.
func ensureTracefs() error {
	if _, err := os.Stat(tracefsPath + "/events"); err == nil {
		return nil
	}
	if _, err := os.Stat("/sys/kernel/debug/tracing/events"); err == nil {
		return nil
	}
	if err := unix.Mount("tracefs", tracefsPath, "tracefs", 0, ""); err != nil {
		return fmt.Errorf("tracefs is not mounted at %s and mounting it failed: %w", tracefsPath, err)
	}
	return nil
}

// mapError explains a failure to create the maps in one line.
func mapError(err error) error {
	if errors.Is(err, unix.EPERM) {
		return fmt.Errorf("creating BPF maps: %w (needs root, or CAP_BPF and CAP_PERFMON)", err)
	}
	return fmt.Errorf("creating BPF maps: %w", err)
}

// bootNow is CLOCK_BOOTTIME in ns, the clock of every event.
func bootNow() uint64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return 0
	}
	return uint64(ts.Nano())
}

// BootNow is CLOCK_BOOTTIME in ns.
func BootNow() uint64 { return bootNow() }
