/*
 * A small log-linear latency histogram in the spirit of HdrHistogram.
 *
 * Values (nanoseconds) below 2^HIST_SUB_BITS are counted exactly; above, each
 * power of two is split into 2^(HIST_SUB_BITS-1) equal buckets, so a bucket is
 * at most 1/128 (< 0.8 %) of its value wide. 7 424 uint64 counters (58 KiB)
 * cover the whole uint64 range; recording is a shift and an increment.
 * Percentiles report the upper bound of the bucket holding the rank, so they
 * never understate.
 */
#ifndef BENCH_HIST_H
#define BENCH_HIST_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define HIST_SUB_BITS 8
#define HIST_LINEAR (1u << HIST_SUB_BITS)        /* 256 exact values */
#define HIST_HALF (1u << (HIST_SUB_BITS - 1))    /* 128 buckets per octave */
#define HIST_BUCKETS (HIST_LINEAR + (64 - HIST_SUB_BITS) * HIST_HALF)

typedef struct {
	uint64_t counts[HIST_BUCKETS];
	uint64_t total;
	uint64_t min, max;
	double sum;
} hist_t;

static inline void hist_reset(hist_t *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

static inline unsigned hist_index(uint64_t v)
{
	if (v < HIST_LINEAR)
		return (unsigned)v;
	unsigned msb = 63u - (unsigned)__builtin_clzll(v);       /* >= HIST_SUB_BITS */
	unsigned shift = msb - (HIST_SUB_BITS - 1);               /* >= 1 */
	unsigned top = (unsigned)(v >> shift);                    /* [HALF, 2*HALF) */
	return HIST_LINEAR + (shift - 1) * HIST_HALF + (top - HIST_HALF);
}

/* Largest value that maps to bucket i. */
static inline uint64_t hist_upper(unsigned i)
{
	if (i < HIST_LINEAR)
		return i;
	unsigned shift = (i - HIST_LINEAR) / HIST_HALF + 1;
	uint64_t top = (i - HIST_LINEAR) % HIST_HALF + HIST_HALF;
	return ((top + 1) << shift) - 1;
}

static inline void hist_record(hist_t *h, uint64_t v)
{
	h->counts[hist_index(v)]++;
	h->total++;
	h->sum += (double)v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

static inline void hist_merge(hist_t *into, const hist_t *from)
{
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		into->counts[i] += from->counts[i];
	into->total += from->total;
	into->sum += from->sum;
	if (from->min < into->min)
		into->min = from->min;
	if (from->max > into->max)
		into->max = from->max;
}

/* Value at quantile q (0..1): the upper bound of the bucket holding that rank. */
static inline uint64_t hist_quantile(const hist_t *h, double q)
{
	if (!h->total)
		return 0;
	uint64_t rank = (uint64_t)(q * (double)h->total + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > h->total)
		rank = h->total;
	uint64_t seen = 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h->counts[i];
		if (seen >= rank) {
			uint64_t u = hist_upper(i);
			return u > h->max ? h->max : u;
		}
	}
	return h->max;
}

/* {"count":n,"mean_us":..,"p50_us":..,...} — microseconds with 1 decimal. */
static inline void hist_json(FILE *f, const hist_t *h)
{
	if (!h->total) {
		fprintf(f, "{\"count\":0}");
		return;
	}
	fprintf(f, "{\"count\":%llu,\"min_us\":%.1f,\"mean_us\":%.1f,\"p50_us\":%.1f,\"p90_us\":%.1f,"
		   "\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f}",
		(unsigned long long)h->total, h->min / 1e3, h->sum / (double)h->total / 1e3,
		hist_quantile(h, 0.50) / 1e3, hist_quantile(h, 0.90) / 1e3,
		hist_quantile(h, 0.99) / 1e3, hist_quantile(h, 0.999) / 1e3, h->max / 1e3);
}

#endif
