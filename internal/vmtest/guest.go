package vmtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"
)

// guestScript is /zt/run.sh, what /init runs: the tracer loading in both
// modes, then each integration test in its own process (a hang or crash
// costs one test, and each gets its time). Every step's output is framed by
// "ZT-BEGIN name" and "ZT-END name rc=N cs=CENTISECONDS" on the console.
// The three %s: the test list regex, the subtest pattern appended to each
// test's anchored name, and the per-test timeout.
const guestScript = `#!/bin/sh
LIST=%s
SUB=%s
TIMEOUT=%s
uptime_cs() { awk '{ printf "%%d", $1 * 100 }' /proc/uptime; }
step() {
	name=$1
	shift
	echo "ZT-BEGIN $name"
	t0=$(uptime_cs)
	"$@" </dev/null 2>&1
	rc=$?
	echo "ZT-END $name rc=$rc cs=$(( $(uptime_cs) - t0 ))"
	return $rc
}
cd /zt
loaded=
step load-light /zt/zombietrace trace --duration 2s -o /dev/null && loaded=1
step load-exact /zt/zombietrace trace --exact-waits --duration 2s -o /dev/null && loaded=1
# What the kernel allows, in every guest's log (also where nothing loads).
step doctor /zt/zombietrace doctor --json
if [ -z "$loaded" ]; then
	echo "ZT-NOTE tests not run: the programs load in neither mode"
	exit 0
fi
# The tests find the scenarios at ../testdata from their package directory.
cd /zt/integration
tests=$(/zt/integration.test -test.list "$LIST" | grep '^Test')
echo "ZT-TESTS" $tests
for t in $tests; do
	step "test:$t" env ZT_SCENARIO_BIN=/zt/bin /zt/integration.test -test.v -test.count=1 -test.timeout="$TIMEOUT" -test.run "^$t\$$SUB"
done
`

// shellQuote quotes s for sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// splitTestFilter turns a -run regex into the top-level test regex for
// -test.list and the subtest part ("/light") for -test.run.
func splitTestFilter(run string) (list, sub string) {
	if run == "" {
		return ".", ""
	}
	top, rest, ok := strings.Cut(run, "/")
	if top == "" {
		top = "."
	}
	if ok {
		return top, "/" + rest
	}
	return top, ""
}

func renderGuestScript(run string, testTimeout time.Duration) string {
	list, sub := splitTestFilter(run)
	return fmt.Sprintf(guestScript, shellQuote(list), shellQuote(sub), shellQuote(testTimeout.String()))
}

// qemuGuest is one boot of a kernel with the test initramfs.
type qemuGuest struct {
	Qemu    string // qemu-system-x86_64
	Vmlinuz string
	Initrd  string
	Memory  int    // MiB
	Cmdline string // appended to the kernel command line
}

// qemuArgs: software emulation with one vCPU (with two, Debian's kernels
// crash now and then under TCG), the serial console on stdout, no devices
// but the defaults of the machine, and a guest whose panic (panic=-1, and
// oops=panic so a crash does not hang the test) or poweroff ends qemu.
func (g qemuGuest) args() []string {
	return []string{
		"-machine", "q35", "-accel", "tcg", "-cpu", "max", "-smp", "1", "-m", fmt.Sprint(g.Memory),
		"-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio", "-no-reboot",
		"-kernel", g.Vmlinuz, "-initrd", g.Initrd,
		"-append", strings.TrimSpace("console=ttyS0 panic=-1 oops=panic quiet loglevel=4 " + g.Cmdline),
	}
}

var (
	errBootTimeout = errors.New("no output from the guest's init")
	errBudget      = errors.New("the guest ran out of time")
)

// boot runs the guest until it powers off, panics, or runs out of time:
// console lines go to onLine (the first "ZT-BOOTED" line must come within
// bootTimeout), everything qemu prints to log.
func (g qemuGuest) boot(ctx context.Context, budget, bootTimeout time.Duration, log io.Writer, onLine func(string)) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	budgetTimer := time.AfterFunc(budget, func() { cancel(fmt.Errorf("%w (budget %v)", errBudget, budget)) })
	defer budgetTimer.Stop()
	bootTimer := time.AfterFunc(bootTimeout, func() { cancel(fmt.Errorf("%w in %v", errBootTimeout, bootTimeout)) })
	defer bootTimer.Stop()

	cmd := exec.CommandContext(ctx, g.Qemu, g.args()...)
	cmd.WaitDelay = 5 * time.Second
	cmd.Stderr = log
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", g.Qemu, err)
	}
	r := bufio.NewReaderSize(out, 64<<10)
	for {
		line, err := r.ReadString('\n')
		if line != "" {
			line = strings.TrimRight(line, "\r\n")
			fmt.Fprintln(log, line)
			if strings.HasPrefix(line, "ZT-BOOTED") {
				bootTimer.Stop()
			}
			onLine(line)
		}
		if err != nil {
			break
		}
	}
	err = cmd.Wait()
	if cause := context.Cause(ctx); cause != nil {
		return cause
	}
	if err != nil {
		return fmt.Errorf("qemu: %w", err)
	}
	return nil
}
