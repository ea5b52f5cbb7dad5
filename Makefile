# zombietrace. `make demo` and `make test` work on a fresh Debian 12 machine
# as root (they install what is missing).

GO        ?= go
# Pinned: the object's bytes depend on the compiler (committed objects must
# not change with each developer's clang).
CLANG     ?= clang-14
BIN       := zombietrace
PYTHON    ?= $(shell test -x /usr/bin/python3 && echo /usr/bin/python3 || echo python3)
APT_PKGS  := clang-14 llvm libbpf-dev bpftool chromium bpftrace qemu-system-x86 busybox-static cpio
GENERATED := tracer/zombietrace_x86_bpfel.go tracer/zombietrace_x86_bpfel.o tracer/zombietrace_compat_x86_bpfel.go tracer/zombietrace_compat_x86_bpfel.o \
             tracer/zombietrace_iters_x86_bpfel.go tracer/zombietrace_iters_x86_bpfel.o \
             tracer/zombietrace_floors_x86_bpfel.go tracer/zombietrace_floors_x86_bpfel.o

.PHONY: all build deps generate check-generated vmlinux demo test unit vet bench clean test-kernels

all: build

build:
	$(GO) build -o $(BIN) ./cmd/zombietrace

# Install the toolchain if it is missing (Debian packages, Go modules).
deps:
	@missing=""; \
	command -v $(CLANG) >/dev/null || missing="$$missing clang-14"; \
	command -v llvm-strip >/dev/null || command -v llvm-strip-14 >/dev/null || missing="$$missing llvm"; \
	test -e /usr/include/bpf/bpf_helpers.h || missing="$$missing libbpf-dev"; \
	command -v bpftool >/dev/null || missing="$$missing bpftool"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v bpftrace >/dev/null || missing="$$missing bpftrace"; \
	command -v qemu-system-x86_64 >/dev/null || missing="$$missing qemu-system-x86"; \
	command -v busybox >/dev/null || missing="$$missing busybox-static"; \
	command -v cpio >/dev/null || missing="$$missing cpio"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PKGS) >/dev/null; \
	fi
	$(GO) mod download

generate:
	$(GO) generate ./...

# Regenerate the BPF object and bindings and fail if they differ from git.
check-generated: generate
	@git diff --exit-code -- $(GENERATED) bpf/ vmlinux.h || \
		{ echo "generated BPF files differ from the committed ones: run make generate and commit"; exit 1; }
	@test -z "$$(git ls-files --others --exclude-standard -- tracer/)" || \
		{ git ls-files --others --exclude-standard -- tracer/; echo "untracked generated files"; exit 1; }

# vmlinux.h from this kernel's BTF.
vmlinux:
	bpftool btf dump file /sys/kernel/btf/vmlinux format c > vmlinux.h

# Run zombietrace on the bundled leaky demo service; the report goes to stderr.
demo: build
	./$(BIN) run -- $(PYTHON) testdata/demo/leaky.py

vet:
	$(GO) vet ./...

# The root-free packages: those with tests none of which calls
# testenv.RequireBPF, the one door to the privileged tests (integration,
# tracer, cmd/zombietrace, internal/bench have some). Their tests pass as
# any user, without BPF: events, flame, output, recording, internal/procfs,
# remedy, report, supervise, symbolize, testenv, vmtest, zombies today.
UNIT_PKGS = $(shell $(GO) list -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}} {{.Dir}}{{end}}' ./... | \
	while read -r pkg dir; do grep -qs RequireBPF "$$dir"/*_test.go || echo "$$pkg"; done)

unit:
	$(GO) test $(UNIT_PKGS)

# Fuzzing is bounded by a count of inputs, not a duration: when a -fuzztime
# duration ends, Go's coordinator (before 1.27) can report the deadline as a
# failure (go.dev/issue/75804). Minimizing a new input is capped too, or it
# takes the whole run (60 s by default).
FUZZ_LIMITS = -fuzzminimizetime 5s

# When make started: make test prints how long it took.
START := $(shell date +%s)

# Everything: generated files, vet, unit tests, privileged BPF tests (which
# fail rather than skip with ZOMBIETRACE_REQUIRE_ALL=1, as .ci/run sets),
# fuzzing, then the kernel matrix: after
# the host suite, never beside it (its guests take the CPUs).
test: deps check-generated vet
	$(GO) test -count=1 -timeout 20m ./...
	$(GO) test -run '^$$' -fuzz '^FuzzReader$$' $(FUZZ_LIMITS) -fuzztime 200000x ./recording/
	$(GO) test -run '^$$' -fuzz '^FuzzDecoder$$' $(FUZZ_LIMITS) -fuzztime 500000x ./recording/
	@echo "host suite: $$(( $$(date +%s) - $(START) )) s"
	$(MAKE) --no-print-directory test-kernels
	@echo "make test: $$(( $$(date +%s) - $(START) )) s in all"

# The kernel matrix: this clone's integration tests inside Debian's kernels
# (internal/vmtest/kernels.tsv) booted in qemu, software emulation: a
# Markdown table of kernel x {loads, light, exact, stacks, scenarios,
# storm}; fails on a red cell. 4-7 minutes a kernel, two at once: about 12
# minutes. The first run downloads the kernels and builds the guest image
# into ${XDG_CACHE_HOME:-~/.cache}/zombietrace (internal/vmtest/README.md).
# One cell:
#   make test-kernels KERNEL=6.12 SCENARIO=TestStorm/exact
test-kernels: deps
	$(GO) run ./internal/vmtest/cmd/kernelmatrix -go '$(GO)' $(if $(KERNEL),-kernel '$(KERNEL)') $(if $(SCENARIO),-run '$(SCENARIO)') $(KERNELMATRIX_FLAGS)

# The performance benchmark (11-17 minutes): ratios (trace in both modes,
# record), per-program cost, CPU, memory, loss, accuracy, and bpftrace's cost
# for the same job.
bench: build
	@command -v bpftrace >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bpftrace >/dev/null; }
	./$(BIN) bench $(BENCH_FLAGS)

clean:
	rm -f $(BIN)
