package vmtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Options configure a matrix run.
type Options struct {
	Repo        string // the clone: the module's root
	CacheDir    string // downloads, kernels, the base initramfs, logs
	Kernels     []Kernel
	TestFilter  string        // a go test -run regex ("" for all)
	Budget      time.Duration // per kernel, wall clock
	BootTimeout time.Duration // until the guest's first line
	TestTimeout time.Duration // per test in the guest
	MemoryMiB   int
	Parallel    int    // guests at once (each takes a host CPU)
	Cmdline     string // more kernel parameters
	Go, CC      string
	Qemu        string
	Progress    io.Writer
}

// keptLogRuns is how many runs' logs the cache keeps.
const keptLogRuns = 10

// Run boots every kernel (Parallel at a time) with this clone's tests and
// returns the rows of the matrix. An error is returned only when nothing can run (the
// build failed); a kernel that cannot be fetched or booted gets a red row.
func Run(ctx context.Context, o Options) ([]Row, error) {
	p := o.Progress
	logDir := filepath.Join(o.CacheDir, "logs", time.Now().Format("20060102-150405"))
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return nil, err
	}
	pruneLogs(filepath.Dir(logDir), keptLogRuns)

	// Kernels first: on a fresh machine the download is the slow part.
	start := time.Now()
	arch := newArchive(filepath.Join(o.CacheDir, "apt"), o.Kernels, p)
	images := make([]kernelImage, len(o.Kernels))
	fetchErrs := make([]error, len(o.Kernels))
	for i, k := range o.Kernels {
		images[i], fetchErrs[i] = fetchKernel(ctx, o.CacheDir, arch, k)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if fetchErrs[i] != nil {
			fmt.Fprintf(p, "[%s] %v\n", k.Name, fetchErrs[i])
		} else if images[i].Note != "" {
			fmt.Fprintf(p, "[%s] NOTE: %s\n", k.Name, images[i].Note)
		}
	}
	base, err := baseImage(o.CacheDir, o.CC, p)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(p, "kernels and base image ready in %.1f s (cache %s)\n", time.Since(start).Seconds(), o.CacheDir)

	work, err := os.MkdirTemp("", "zombietrace-vmtest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	payload, err := buildPayload(ctx, toolchain{o.Go, o.CC}, o.Repo, work, o.TestFilter, o.TestTimeout, p)
	if err != nil {
		return nil, err
	}
	initrd := filepath.Join(work, "initrd.cpio")
	if err := concatFiles(initrd, base, payload); err != nil {
		return nil, fmt.Errorf("writing the initrd: %w", err)
	}

	rows := make([]Row, len(o.Kernels))
	errs := make([]error, len(o.Kernels))
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(1, o.Parallel) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				guest := qemuGuest{Qemu: o.Qemu, Vmlinuz: images[i].Vmlinuz, Initrd: initrd, Memory: o.MemoryMiB, Cmdline: o.Cmdline}
				rows[i], errs[i] = runKernel(ctx, o, o.Kernels[i], images[i], fetchErrs[i], guest, logDir)
			}
		}()
	}
	for i := range o.Kernels {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return rows, nil
}

// runKernel makes k's row: its guest's results, or red cells saying why
// there is no guest.
func runKernel(ctx context.Context, o Options, k Kernel, img kernelImage, fetchErr error, guest qemuGuest, logDir string) (Row, error) {
	row := Row{Kernel: k, Package: img.Package}
	if img.Note != "" {
		row.Notes = append(row.Notes, img.Note)
	}
	if fetchErr != nil {
		row.Cells = evaluate(&guestRun{}, "no kernel: "+fetchErr.Error())
		return row, nil
	}
	if ctx.Err() != nil {
		return row, ctx.Err()
	}
	row.Log = filepath.Join(logDir, k.Name+".log")
	g, secs, ended, err := runGuest(ctx, o, k.Name, guest, row.Log)
	if err != nil {
		return row, err
	}
	row.Release, row.Seconds = g.Release, secs
	row.Cells = evaluate(g, ended)
	status := "green"
	if row.Red() {
		status = "red"
	}
	fmt.Fprintf(o.Progress, "[%s] %s in %.0f s; log %s\n", k.Name, status, secs, row.Log)
	return row, nil
}

// runGuest boots one kernel, again once if it dies before its first line
// (boots under emulation fail now and then), and returns what it printed,
// its seconds, and why it ended early ("" if it did not).
func runGuest(ctx context.Context, o Options, name string, guest qemuGuest, logPath string) (*guestRun, float64, string, error) {
	p := o.Progress
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, 0, "", err
	}
	defer logFile.Close()
	start := time.Now()
	var g *guestRun
	ended := ""
	for attempt := 1; attempt <= 2; attempt++ {
		fmt.Fprintf(p, "[%s] booting %s (attempt %d)\n", name, filepath.Base(filepath.Dir(guest.Vmlinuz)), attempt)
		fmt.Fprintf(logFile, "=== boot attempt %d: %s %s\n", attempt, guest.Qemu, strings.Join(guest.args(), " "))
		g = &guestRun{}
		bootStart := time.Now()
		err := guest.boot(ctx, o.Budget, o.BootTimeout, logFile, func(line string) {
			s := g.addLine(line)
			switch {
			case strings.HasPrefix(line, "ZT-BOOTED"):
				fmt.Fprintf(p, "[%s] booted %s in %.1f s\n", name, g.Release, time.Since(bootStart).Seconds())
			case s != nil:
				fmt.Fprintf(p, "[%s] %s\n", name, describeStep(s))
			case strings.HasPrefix(line, "ZT-NOTE"):
				fmt.Fprintf(p, "[%s] %s\n", name, line)
			}
		})
		if ctx.Err() != nil {
			return nil, 0, "", ctx.Err()
		}
		ended = ""
		if err != nil {
			ended = err.Error()
		}
		if g.Booted || errors.Is(err, errBudget) {
			break
		}
		fmt.Fprintf(p, "[%s] the guest died before its first output (%s)\n", name, firstNonEmpty(ended, "qemu exited"))
		if ended == "" {
			ended = "the guest died before its first output"
		}
	}
	if g.Crash != "" {
		fmt.Fprintf(p, "[%s] kernel crash: %s\n", name, g.Crash)
	}
	return g, time.Since(start).Seconds(), ended, nil
}

// describeStep is a step's progress line: the command's result or the
// test's, with its time.
func describeStep(s *step) string {
	name := strings.TrimPrefix(s.Name, "test:")
	if strings.HasPrefix(s.Name, "test:") {
		status := "FAIL"
		for _, r := range parseGoTest(s.Output, "") {
			if r.Name == name {
				status = string(r.Status)
			}
		}
		if s.RC != 0 {
			status = "FAIL"
		}
		return fmt.Sprintf("%-40s %s %6.1f s", name, status, s.Secs)
	}
	if s.RC == 0 {
		return fmt.Sprintf("%-40s ok   %6.1f s", name, s.Secs)
	}
	return fmt.Sprintf("%-40s FAIL %6.1f s: %s", name, s.Secs, shorten(s.lastLine(), maxDetail))
}

// pruneLogs keeps the newest keep run directories under dir.
func pruneLogs(dir string, keep int) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	var runs []string
	for _, e := range entries {
		if e.IsDir() {
			runs = append(runs, e.Name())
		}
	}
	sort.Strings(runs) // timestamps: oldest first
	for len(runs) > keep {
		os.RemoveAll(filepath.Join(dir, runs[0]))
		runs = runs[1:]
	}
}
