// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The task iterators alone (iter.h), for the one-shot commands: no map, no
 * other program, little BTF, so that `zombietrace ps` loads in milliseconds.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "zombietrace.h"
#include "consts.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Probe reads: see iter.h. */
#define TREAD(src, ...) BPF_CORE_READ(src, __VA_ARGS__)

#include "task.h"
#include "iter.h"
