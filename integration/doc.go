// Package integration holds the privileged tests: the real BPF programs
// loaded in the kernel, tracing the scenario corpus (testdata/scenarios).
package integration
