/* SPDX-License-Identifier: MIT */
/*
 * Latency histograms: log-linear (HDR-style) buckets over nanoseconds.
 *
 * Values below 16 ns have a bucket each; above, every power of two is split
 * into 8 linear sub-buckets, so any recorded value is reported within
 * 12.5 % of itself, from 16 ns up to 2^40 ns (18 minutes; larger values
 * land in the last bucket). Recording is a few shifts and an increment, so
 * it can sit on the dispatch path.
 */
#ifndef HVMEMU_LATENCY_H
#define HVMEMU_LATENCY_H

#include <stdint.h>

#define HV_HIST_SUB_BITS 3u
#define HV_HIST_LINEAR   16u          /* 2^(SUB_BITS+1): one bucket each */
#define HV_HIST_MAX_EXP  40u
#define HV_HIST_BUCKETS  (HV_HIST_LINEAR + \
                          (HV_HIST_MAX_EXP - HV_HIST_SUB_BITS - 1) * \
                          (1u << HV_HIST_SUB_BITS))

typedef struct hv_hist {
    uint64_t count, sum_ns, min_ns, max_ns;
    uint64_t bucket[HV_HIST_BUCKETS];
} hv_hist;

void hv_hist_record(hv_hist *h, uint64_t ns);
void hv_hist_reset(hv_hist *h);
/* Upper bound (ns) of the bucket holding quantile @q (0..1); 0 if empty.
 * The exact max for q >= 1. */
uint64_t hv_hist_quantile(const hv_hist *h, double q);
/* Lower and upper bound (ns, upper exclusive) of bucket @i. */
void hv_hist_bucket_range(unsigned i, uint64_t *lo, uint64_t *hi);
unsigned hv_hist_bucket_of(uint64_t ns);

#endif
