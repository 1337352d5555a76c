/* fastiou_png_rows.h: the row loops of fastiou._png_pairs, which counts two decoded PNG
   images row to row. */
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
        for (ptrdiff_t i = start; i < stop; i += 64, b++) {                                    \
            __mmask64 in = stop - i >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << (stop - i)) - 1); \
            /* (t ^ t_above) | (p ^ p_above), one ternary-logic step for the second half */    \
            __m512i diff = _mm512_ternarylogic_epi64(                                          \
                _mm512_xor_si512(_mm512_maskz_loadu_epi8(in, t + i),                           \
                                 _mm512_maskz_loadu_epi8(in, t_above + i)),                    \
                _mm512_maskz_loadu_epi8(in, p + i), _mm512_maskz_loadu_epi8(in, p_above + i),  \
                0xF6);                                                                         \
            changed[b] = _mm512_test_epi8_mask(diff, diff);                                    \
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

#endif /* FASTIOU_PNG_ROWS_H */
