//go:build linux

package tracer

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"golang.org/x/sys/unix"
)

// MinKernel is the oldest kernel zombietrace runs on: the kfuncs its programs
// call, bpf_rdonly_cast and bpf_task_from_pid, came in 6.2 (tp_btf, ring
// buffers and iter/task in 5.8, bpf_task_pt_regs in 5.15). sched_process_exit
// gained group_dead in 6.16; older kernels use the signal->live fallback.
const MinKernel = "6.2"

const (
	btfPath     = "/sys/kernel/btf/vmlinux"
	tracefsPath = "/sys/kernel/tracing"
)

// Preflight checks what loading needs, with one clear error per problem.
func Preflight(exact bool) error {
	if err := checkPrivileges(); err != nil {
		return err
	}
	if _, err := os.Stat(btfPath); err != nil {
		return fmt.Errorf("kernel BTF not found at %s: zombietrace needs a kernel built with CONFIG_DEBUG_INFO_BTF=y", btfPath)
	}
	if err := checkKernel(); err != nil {
		return err
	}
	if exact {
		if err := ensureTracefs(); err != nil {
			return err
		}
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

func checkKernel() error {
	rel := kernelRelease()
	major, minor, ok := parseRelease(rel)
	if !ok {
		return nil // unknown format: let loading decide
	}
	if tooOld(major, minor) {
		return fmt.Errorf("kernel %s is too old: zombietrace needs Linux %s or newer", rel, MinKernel)
	}
	return nil
}

func tooOld(major, minor int) bool {
	minMajor, minMinor, _ := parseRelease(MinKernel)
	return major < minMajor || (major == minMajor && minor < minMinor)
}

func parseRelease(rel string) (major, minor int, ok bool) {
	parts := strings.SplitN(rel, ".", 3)
	if len(parts) < 2 {
		return 0, 0, false
	}
	major, err1 := strconv.Atoi(parts[0])
	minorStr := parts[1]
	if i := strings.IndexFunc(minorStr, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
		minorStr = minorStr[:i]
	}
	minor, err2 := strconv.Atoi(minorStr)
	return major, minor, err1 == nil && err2 == nil
}

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

// exitHasGroupDead reports whether sched_process_exit passes group_dead (6.16+).
func exitHasGroupDead() bool {
	spec, err := btf.LoadKernelSpec()
	if err != nil {
		return true
	}
	var td *btf.Typedef
	if err := spec.TypeByName("btf_trace_sched_process_exit", &td); err != nil {
		return true
	}
	ptr, ok := td.Type.(*btf.Pointer)
	if !ok {
		return true
	}
	fp, ok := ptr.Target.(*btf.FuncProto)
	if !ok {
		return true
	}
	return len(fp.Params) >= 3 // void *__data, task, group_dead
}

// loadError makes a load failure one clear message; for the verifier, its
// last lines.
func loadError(err error) error {
	var ve *ebpf.VerifierError
	if errors.As(err, &ve) {
		log := ve.Log
		if len(log) > 8 {
			log = log[len(log)-8:]
		}
		return fmt.Errorf("BPF program rejected by the verifier: %s:\n  %s", ve.Cause, strings.Join(log, "\n  "))
	}
	if errors.Is(err, unix.EPERM) {
		return fmt.Errorf("loading BPF programs: %w (needs root, or CAP_BPF and CAP_PERFMON)", err)
	}
	return fmt.Errorf("loading BPF programs: %w", err)
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
