// Command kernelmatrix boots the pinned Debian kernels in qemu, runs this
// clone's integration tests in each, and prints the matrix (Markdown). It
// exits 1 when a kernel expected to pass has a red cell.
//
//	go run ./internal/vmtest/cmd/kernelmatrix [-kernel NAME] [-run REGEX]
//
// `make test-kernels KERNEL=6.12 SCENARIO=TestStorm` runs it so.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/zombietrace/zombietrace/internal/vmtest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "kernelmatrix:", err)
		os.Exit(2)
	}
}

func run() error {
	cacheDir, err := vmtest.DefaultCacheDir()
	if err != nil {
		return err
	}
	var (
		kernel      = flag.String("kernel", "", "only the kernel `NAME` (a name of kernels.tsv)")
		testFilter  = flag.String("run", "", "only the tests matching `REGEX` (go test -run syntax; TestX/light for one mode)")
		kernelsFile = flag.String("kernels", "", "the kernels `FILE` (default: the embedded internal/vmtest/kernels.tsv)")
		budget      = flag.Duration("budget", 10*time.Minute, "wall-clock time a guest may take")
		parallel    = flag.Int("parallel", min(2, runtime.NumCPU()), "guests at once: each takes a host CPU (software emulation); 1 for the least loaded host")
		bootTimeout = flag.Duration("boot-timeout", 2*time.Minute, "time until the guest's first line, or it is booted again (once)")
		testTimeout = flag.Duration("test-timeout", 3*time.Minute, "time one integration test may take in a guest")
		memory      = flag.Int("memory", 2048, "guest memory in `MiB` (bigmem.c maps 512 MiB)")
		goTool      = flag.String("go", envOr("GO", "go"), "the go `command`")
		cc          = flag.String("cc", envOr("CC", "cc"), "the C compiler that builds the static scenarios")
		qemu        = flag.String("qemu", "qemu-system-x86_64", "the qemu `command`")
		cmdline     = flag.String("append", "", "more kernel `PARAMETERS`")
		cache       = flag.String("cache", cacheDir, "the cache `DIR` (downloads, kernels, images, logs)")
		list        = flag.String("list", "", "only list the cloud kernel packages of `SUITES` (comma-separated, e.g. bullseye-security,sid): what kernels.tsv can pin")
	)
	flag.Parse()
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", flag.Arg(0))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *list != "" {
		return vmtest.ListKernels(ctx, *cache, strings.Split(*list, ","), os.Stdout)
	}

	kernels, err := loadKernels(*kernelsFile)
	if err != nil {
		return err
	}
	if *kernel != "" {
		k, err := vmtest.SelectKernel(kernels, *kernel)
		if err != nil {
			return err
		}
		kernels = []vmtest.Kernel{k}
	}
	repo, err := moduleRoot()
	if err != nil {
		return err
	}
	start := time.Now()
	rows, err := vmtest.Run(ctx, vmtest.Options{
		Repo: repo, CacheDir: *cache, Kernels: kernels, TestFilter: *testFilter,
		Budget: *budget, BootTimeout: *bootTimeout, TestTimeout: *testTimeout, MemoryMiB: *memory, Cmdline: *cmdline, Parallel: *parallel,
		Go: *goTool, CC: *cc, Qemu: *qemu, Progress: os.Stderr,
	})
	if len(rows) > 0 {
		fmt.Print("\n" + vmtest.RenderTable(rows, time.Since(start)))
	}
	if errors.Is(err, context.Canceled) {
		return errors.New("interrupted")
	}
	if err != nil {
		return err
	}
	var failing []string
	for _, r := range rows {
		if r.FailsMatrix() {
			failing = append(failing, r.Kernel.Name)
		}
	}
	if len(failing) > 0 {
		fmt.Fprintf(os.Stderr, "kernelmatrix: red cells on %s\n", strings.Join(failing, ", "))
		os.Exit(1)
	}
	return nil
}

func loadKernels(path string) ([]vmtest.Kernel, error) {
	if path == "" {
		return vmtest.PinnedKernels()
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ks, err := vmtest.ParseKernels(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ks, nil
}

// moduleRoot is the directory of go.mod at or above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the module (no go.mod above the working directory)")
		}
		dir = parent
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
