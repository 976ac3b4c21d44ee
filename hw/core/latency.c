/* SPDX-License-Identifier: MIT */
/*
 * Log-linear latency histograms (see hvmemu/latency.h). The bucket of v
 * >= 16 is found from its highest set bit e and the SUB_BITS bits below
 * it: index = LINEAR + (e - SUB_BITS - 1) * 2^SUB_BITS + sub.
 */
#include <string.h>

#include "hvmemu/latency.h"

unsigned hv_hist_bucket_of(uint64_t ns)
{
    unsigned e, sub, i;

    if (ns < HV_HIST_LINEAR) {
        return (unsigned)ns;
    }
    e = 63u - (unsigned)__builtin_clzll(ns);
    sub = (unsigned)(ns >> (e - HV_HIST_SUB_BITS)) &
          ((1u << HV_HIST_SUB_BITS) - 1);
    i = HV_HIST_LINEAR + (e - HV_HIST_SUB_BITS - 1) * (1u << HV_HIST_SUB_BITS)
        + sub;
    return i < HV_HIST_BUCKETS ? i : HV_HIST_BUCKETS - 1;
}

void hv_hist_bucket_range(unsigned i, uint64_t *lo, uint64_t *hi)
{
    unsigned e, sub;

    if (i < HV_HIST_LINEAR) {
        *lo = i;
        *hi = i + 1;
        return;
    }
    e = (i - HV_HIST_LINEAR) / (1u << HV_HIST_SUB_BITS) + HV_HIST_SUB_BITS + 1;
    sub = (i - HV_HIST_LINEAR) % (1u << HV_HIST_SUB_BITS);
    *lo = (1ull << e) + ((uint64_t)sub << (e - HV_HIST_SUB_BITS));
    *hi = *lo + (1ull << (e - HV_HIST_SUB_BITS));
}

void hv_hist_record(hv_hist *h, uint64_t ns)
{
    h->bucket[hv_hist_bucket_of(ns)]++;
    if (h->count == 0 || ns < h->min_ns) {
        h->min_ns = ns;
    }
    if (ns > h->max_ns) {
        h->max_ns = ns;
    }
    h->count++;
    h->sum_ns += ns;
}

void hv_hist_reset(hv_hist *h)
{
    memset(h, 0, sizeof(*h));
}

uint64_t hv_hist_quantile(const hv_hist *h, double q)
{
    uint64_t rank, seen = 0, lo, hi;

    if (h->count == 0) {
        return 0;
    }
    if (q >= 1.0) {
        return h->max_ns;
    }
    rank = (uint64_t)(q * (double)h->count);
    for (unsigned i = 0; i < HV_HIST_BUCKETS; i++) {
        seen += h->bucket[i];
        if (seen > rank) {
            hv_hist_bucket_range(i, &lo, &hi);
            /* Never above what was seen: the top bucket is the max. */
            return hi - 1 < h->max_ns ? hi - 1 : h->max_ns;
        }
    }
    return h->max_ns;
}
