package vmtest

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// The payload is the per-run initramfs, unpacked over the base: the
// binaries built from this clone, static (the guest has no Go, no
// compiler), and the test data, under /zt:
//
//	/zt/run.sh            the steps (guestScript)
//	/zt/zombietrace       go build ./cmd/zombietrace
//	/zt/integration.test  go test -c ./integration, run from /zt/integration
//	/zt/testdata/         the clone's testdata (../testdata from there)
//	/zt/bin/              the C scenarios, cc -static ($ZT_SCENARIO_BIN)

// toolchain names the host's build tools.
type toolchain struct {
	Go, CC string
}

func (tc toolchain) run(ctx context.Context, dir string, env []string, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

// buildPayload builds everything the guest runs from the clone at repo
// into work, and returns the payload archive's path.
func buildPayload(ctx context.Context, tc toolchain, repo, work, testFilter string, testTimeout time.Duration, log io.Writer) (string, error) {
	start := time.Now()
	bin := filepath.Join(work, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return "", err
	}
	static := []string{"CGO_ENABLED=0"}
	zt := filepath.Join(work, "zombietrace")
	if err := tc.run(ctx, repo, static, tc.Go, "build", "-o", zt, "./cmd/zombietrace"); err != nil {
		return "", fmt.Errorf("building zombietrace: %w", err)
	}
	itest := filepath.Join(work, "integration.test")
	if err := tc.run(ctx, repo, static, tc.Go, "test", "-c", "-o", itest, "./integration"); err != nil {
		return "", fmt.Errorf("building the integration tests: %w", err)
	}
	// As the harness compiles them (program), but static.
	sources, err := filepath.Glob(filepath.Join(repo, "testdata", "scenarios", "*.c"))
	if err != nil {
		return "", err
	}
	for _, src := range sources {
		exe := filepath.Join(bin, strings.TrimSuffix(filepath.Base(src), ".c"))
		if err := tc.run(ctx, repo, nil, tc.CC, "-O2", "-Wall", "-pthread", "-static", "-o", exe, src); err != nil {
			return "", fmt.Errorf("compiling a scenario: %w", err)
		}
	}
	// TestStacks unwinds through frame pointers.
	callsite := filepath.Join(repo, "testdata", "stacks", "callsite.c")
	if err := tc.run(ctx, repo, nil, tc.CC, "-O2", "-Wall", "-fno-omit-frame-pointer", "-static", "-o", filepath.Join(bin, "callsite"), callsite); err != nil {
		return "", fmt.Errorf("compiling callsite.c: %w", err)
	}

	img := newInitramfs()
	img.File("zt/run.sh", 0o755, []byte(renderGuestScript(testFilter, testTimeout)))
	img.Dir("zt/integration")
	for dst, src := range map[string]string{"zt/zombietrace": zt, "zt/integration.test": itest} {
		if err := img.Copy(dst, src); err != nil {
			return "", err
		}
	}
	if err := img.AddTree("zt/bin", bin, nil); err != nil {
		return "", err
	}
	if err := img.AddTree("zt/testdata", filepath.Join(repo, "testdata"), nil); err != nil {
		return "", fmt.Errorf("testdata: %w", err)
	}
	payload := filepath.Join(work, "payload.cpio")
	if err := writeImage(payload, img); err != nil {
		return "", fmt.Errorf("writing the payload: %w", err)
	}
	fmt.Fprintf(log, "built the payload in %.1f s (%d scenarios compiled)\n", time.Since(start).Seconds(), len(sources)+1)
	return payload, nil
}

// concatFiles writes the files one after the other into dst: the kernel
// unpacks concatenated initramfs archives in order.
func concatFiles(dst string, srcs ...string) error {
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	for _, src := range srcs {
		in, err := os.Open(src)
		if err != nil {
			out.Close()
			return err
		}
		_, err = io.Copy(out, in)
		in.Close()
		if err != nil {
			out.Close()
			return fmt.Errorf("copying %s: %w", src, err)
		}
	}
	return out.Close()
}
