package vmtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// DefaultCacheDir is ${XDG_CACHE_HOME:-$HOME/.cache}/zombietrace: outside
// the clone, shared by every checkout.
func DefaultCacheDir() (string, error) {
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("no cache directory: %w", err)
		}
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "zombietrace"), nil
}

// kernelImage is a kernel ready to boot.
type kernelImage struct {
	Vmlinuz string
	Package aptEntry // the package it came from: the pinned one, or the newest of its line
	Note    string   // why it is not the pinned one
}

// fetchKernel returns k's vmlinuz from the cache, downloading and
// extracting it first if needed. A cached pinned kernel needs no network.
func fetchKernel(ctx context.Context, cacheDir string, a *archive, k Kernel) (kernelImage, error) {
	pinned := aptEntry{k.Package, k.Version, k.Suite}
	if path := vmlinuzFile(cacheDir, pinned); exists(path) {
		return kernelImage{Vmlinuz: path, Package: pinned}, nil
	}
	e, note, err := a.resolve(ctx, k)
	if err != nil {
		return kernelImage{}, fmt.Errorf("kernel %s: %w", k.Name, err)
	}
	img := kernelImage{Vmlinuz: vmlinuzFile(cacheDir, e), Package: e, Note: note}
	if exists(img.Vmlinuz) {
		return img, nil
	}
	debDir := filepath.Join(cacheDir, "debs")
	if err := os.MkdirAll(debDir, 0o755); err != nil {
		return kernelImage{}, err
	}
	deb := debFile(debDir, e)
	if !exists(deb) {
		if err := a.download(ctx, e, deb); err != nil {
			return kernelImage{}, fmt.Errorf("kernel %s: %w", k.Name, err)
		}
	}
	if err := os.MkdirAll(filepath.Dir(img.Vmlinuz), 0o755); err != nil {
		return kernelImage{}, err
	}
	if err := extractVmlinuz(ctx, deb, img.Vmlinuz); err != nil {
		return kernelImage{}, fmt.Errorf("kernel %s: %w", k.Name, err)
	}
	return img, nil
}

func vmlinuzFile(cacheDir string, e aptEntry) string {
	return filepath.Join(cacheDir, "kernels", e.Package+"_"+strings.ReplaceAll(e.Version, ":", "%3a"), "vmlinuz")
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
