/* fastiou_png_rows.h: the C parts of fastiou._png_pairs, which counts two decoded PNG
   images row to row: the row loops, and the reading of the images' filtered rows a stretch
   at a time. */
#ifndef FASTIOU_PNG_ROWS_H
#define FASTIOU_PNG_ROWS_H

#include "fastiou_simd.h"

/* Row-to-row counting: a row is counted from the row above it. Where a pair (t, p) differs
   from the pair above it, `weight` is added to the new pair's code and taken from the old
   one's, in uint32 arithmetic: modulo 2**32, exact again once the caller's sums are whole
   counts. Lanes that repeat the pair above (about 99 % of a label map's) cost one compare
   each. `table` is two 65536-bin copies (summed by the caller); seen[t] is set for every
   truth byte t counted. */
static inline void fiou_count_change(const uint8_t* t, const uint8_t* p, const uint8_t* t_above,
        const uint8_t* p_above, ptrdiff_t k, uint32_t weight, uint32_t* table, uint8_t* seen) {
    seen[t[k]] = 1;
    table[((unsigned)t[k] << 8) | p[k]] += weight;
    table[((unsigned)t_above[k] << 8) | p_above[k]] -= weight;
}

static inline void fiou_row_changes_scalar(const uint8_t* t, const uint8_t* p,
        const uint8_t* t_above, const uint8_t* p_above, ptrdiff_t n, uint32_t weight,
        uint32_t* table, uint8_t* seen) {
    ptrdiff_t i = 0, k;
    for (; i + 8 <= n; i += 8) {  /* eight lanes compared at once */
        uint64_t a, b, c, d;
        memcpy(&a, t + i, 8); memcpy(&b, t_above + i, 8);
        memcpy(&c, p + i, 8); memcpy(&d, p_above + i, 8);
        if (!((a ^ b) | (c ^ d))) continue;
        for (k = i; k < i + 8; k++)
            if ((t[k] != t_above[k]) | (p[k] != p_above[k]))
                fiou_count_change(t, p, t_above, p_above, k, weight, table, seen);
    }
    for (k = i; k < n; k++)
        if ((t[k] != t_above[k]) | (p[k] != p_above[k]))
            fiou_count_change(t, p, t_above, p_above, k, weight, table, seen);
}

#ifdef FIOU_X86
/* AVX-512: the changed lanes of up to 4096 columns are found first (a mask per block of
   64, no branch), then the codes of their new and old pairs are compressed into two
   buffers, which one branch-free loop counts, adding into one table copy and taking
   from the other, alternately (repeated codes do not serialise on one counter). */
#define FIOU_DEFINE_ROW_CHANGES(ISA, ATTR)                                                    \
ATTR static inline void fiou_row_changes_##ISA(const uint8_t* t, const uint8_t* p,             \
        const uint8_t* t_above, const uint8_t* p_above, ptrdiff_t n, uint32_t weight,          \
        uint32_t* table, uint8_t* seen) {                                                     \
    uint64_t changed[64];                                                                     \
    uint16_t now[64 * 64 + 64], before[64 * 64 + 64];                                         \
    for (ptrdiff_t start = 0; start < n; start += 64 * 64) {                                  \
        ptrdiff_t stop = n - start < 64 * 64 ? n : start + 64 * 64, n_codes = 0, j;           \
        uint64_t blocks = 0;                                                                  \
        int b = 0;                                                                            \
        for (ptrdiff_t i = start; i < stop; i += 64, b++) {                                   \
            __mmask64 in = stop - i >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << (stop - i)) - 1);\
            changed[b] = _mm512_cmpneq_epi8_mask(_mm512_maskz_loadu_epi8(in, t + i),          \
                                                 _mm512_maskz_loadu_epi8(in, t_above + i))    \
                       | _mm512_cmpneq_epi8_mask(_mm512_maskz_loadu_epi8(in, p + i),          \
                                                 _mm512_maskz_loadu_epi8(in, p_above + i));   \
            blocks |= (uint64_t)(changed[b] != 0) << b;                                       \
        }                                                                                     \
        for (; blocks; blocks &= blocks - 1) {                                                \
            int block = __builtin_ctzll(blocks);                                              \
            ptrdiff_t i = start + 64 * (ptrdiff_t)block;                                      \
            fiou_append_##ISA(t + i, p + i, changed[block], now + n_codes);                   \
            fiou_append_##ISA(t_above + i, p_above + i, changed[block], before + n_codes);    \
            n_codes += __builtin_popcountll(changed[block]);                                  \
        }                                                                                     \
        for (j = 0; j + 2 <= n_codes; j += 2) {                                               \
            seen[now[j] >> 8] = 1;                                                            \
            seen[now[j + 1] >> 8] = 1;                                                        \
            table[now[j]] += weight;                                                          \
            table[65536 + before[j]] -= weight;                                               \
            table[65536 + now[j + 1]] += weight;                                              \
            table[before[j + 1]] -= weight;                                                   \
        }                                                                                     \
        if (j < n_codes) {                                                                    \
            seen[now[j] >> 8] = 1;                                                            \
            table[now[j]] += weight;                                                          \
            table[65536 + before[j]] -= weight;                                               \
        }                                                                                     \
    }                                                                                         \
}
FIOU_DEFINE_ROW_CHANGES(avx512, FIOU_AVX512)
FIOU_DEFINE_ROW_CHANGES(avx512vbmi2, FIOU_AVX512_VBMI2)
#endif /* FIOU_X86 */

/* Count row t, p (n pairs) from the row above it, with the loop of SIMD `level`. */
static inline void fiou_count_row_changes(int level, const uint8_t* t, const uint8_t* p,
        const uint8_t* t_above, const uint8_t* p_above, ptrdiff_t n, uint32_t weight,
        uint32_t* table, uint8_t* seen) {
#ifdef FIOU_X86
    if (level >= 3) { fiou_row_changes_avx512vbmi2(t, p, t_above, p_above, n, weight, table, seen); return; }
    if (level >= 2) { fiou_row_changes_avx512(t, p, t_above, p_above, n, weight, table, seen); return; }
#else
    (void)level;
#endif
    fiou_row_changes_scalar(t, p, t_above, p_above, n, weight, table, seen);
}

/* A band's first row: every pair adds `weight`. */
static inline void fiou_count_row_weighted(const uint8_t* t, const uint8_t* p, ptrdiff_t n,
                                           uint32_t weight, uint32_t* table, uint8_t* seen) {
    for (ptrdiff_t i = 0; i < n; i++) {
        seen[t[i]] = 1;
        table[((unsigned)t[i] << 8) | p[i]] += weight;
    }
}

/* zlib-ng 2's stream (zlib-ng.h), driven through the function addresses that
   fastiou._png.streaming_inflater finds in the zlib-ng package */
typedef struct {
    const uint8_t* next_in; uint32_t avail_in; size_t total_in;
    uint8_t* next_out; uint32_t avail_out; size_t total_out;
    const char* msg; void* state; void* zalloc; void* zfree; void* opaque;
    int data_type; uint32_t adler; unsigned long reserved;
} fiou_zng_stream;
typedef int32_t (*fiou_zng_init)(fiou_zng_stream*, int32_t);
typedef int32_t (*fiou_zng_inflate)(fiou_zng_stream*, int32_t);
typedef int32_t (*fiou_zng_end)(fiou_zng_stream*);
#define FIOU_Z_STREAM_END 1

/* A PNG's filtered rows as count_png_pairs reads them, a stretch at a time: from its
   inflated data, or inflated from its zlib stream into `buffer` as they are needed */
typedef struct {
    const uint8_t* data;         /* the inflated data, or NULL: the stream */
    fiou_zng_stream stream;
    fiou_zng_inflate inflate;
    uint8_t* buffer;
    int32_t status;              /* what the last zng_inflate returned */
} fiou_png_rows;

/* the filtered bytes of rows [first, first + n_rows), each `width` + 1 bytes; NULL when
   the stream is corrupt or ends before them */
static inline const uint8_t* fiou_next_rows(fiou_png_rows* rows, ptrdiff_t first,
                                            ptrdiff_t n_rows, ptrdiff_t width) {
    size_t needed = (size_t)n_rows * (size_t)(width + 1);
    if (rows->data != NULL) return rows->data + (size_t)first * (size_t)(width + 1);
    rows->stream.next_out = rows->buffer;
    while (needed > 0) {
        uint32_t chunk = needed < ((size_t)1 << 30) ? (uint32_t)needed : (uint32_t)1 << 30;
        rows->stream.avail_out = chunk;
        while (rows->stream.avail_out > 0) {
            rows->status = rows->inflate(&rows->stream, 0);
            if (rows->status != 0 && !(rows->status == FIOU_Z_STREAM_END && rows->stream.avail_out == 0))
                return NULL;     /* an error, or the end before these rows */
        }
        needed -= chunk;
    }
    return rows->buffer;
}

/* after the last row: whether the stream ends there, its Adler-32 checked */
static inline int fiou_rows_end(fiou_png_rows* rows) {
    uint8_t extra;
    if (rows->data != NULL || rows->status == FIOU_Z_STREAM_END) return 1;
    rows->stream.next_out = &extra;
    rows->stream.avail_out = 1;
    rows->status = rows->inflate(&rows->stream, 0);
    return rows->status == FIOU_Z_STREAM_END && rows->stream.avail_out == 1;
}

#endif /* FASTIOU_PNG_ROWS_H */
