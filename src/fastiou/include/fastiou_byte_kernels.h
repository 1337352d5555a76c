/* fastiou_byte_kernels.h: the SIMD loops of fastiou._byte_tables, which count one-byte
   labels into 65536-bin uint32 tables of pair codes (t << 8) | p, with no range check at
   all (ignore and range rules are applied to the tables' sums afterwards, by the fold).

   The caller keeps end - start below 2**32 between flushes. Per block of 64 pairs, the pairs
   equal to the block's first pair, then those equal to its last, are added with one
   popcount each; lanes whose truth is one of the first `n_ignore` ignore bytes may be left
   out (the fold drops those codes anyway). */
#ifndef FASTIOU_BYTE_KERNELS_H
#define FASTIOU_BYTE_KERNELS_H

#include "fastiou_simd.h"

#ifdef FIOU_X86
/* AVX2, one table: more reference pairs at run starts (FIOU_FOR_EACH_RUN_START; not in
   the last block, whose compare would read the pair after it), then the other lanes are
   counted one by one; after a block with few runs the next blocks are counted lane by
   lane without looking for runs. */
FIOU_AVX2 static inline void fiou_bytes_avx2(const uint8_t* t, const uint8_t* p, ptrdiff_t start,
        ptrdiff_t end, const uint8_t* ignore, int n_ignore, uint32_t* table) {
    ptrdiff_t i = start, k, plain_blocks = 0;
    int g;
    for (; i + 64 <= end; i += 64) {
        uint64_t m, rest = ~(uint64_t)0;
        __builtin_prefetch(t + i + FIOU_PREFETCH_BYTES);
        __builtin_prefetch(p + i + FIOU_PREFETCH_BYTES);
        if (plain_blocks > 0) {
            plain_blocks--;
            for (k = i; k < i + 64; k++) table[((unsigned)t[k] << 8) | p[k]] += 1;
            continue;
        }
        for (g = 0; g < n_ignore; g++) rest &= ~eq64_avx2_8(t + i, ignore[g]);
        m = eq64_avx2_8(t + i, t[i]) & eq64_avx2_8(p + i, p[i]) & rest;
        rest &= ~m;
        table[((unsigned)t[i] << 8) | p[i]] += (uint32_t)__builtin_popcountll(m);
        if (rest >> 63) {
            m = eq64_avx2_8(t + i, t[i + 63]) & eq64_avx2_8(p + i, p[i + 63]) & rest;
            rest &= ~m;
            table[((unsigned)t[i + 63] << 8) | p[i + 63]] += (uint32_t)__builtin_popcountll(m);
        }
        if (__builtin_popcountll(rest) >= FIOU_RUN_GUESS && i + 64 < end) {
            const uint64_t repeats = next64_avx2_8(t + i) & next64_avx2_8(p + i);
            uint64_t starts;
            FIOU_FOR_EACH_RUN_START(starts, rest, repeats) {
                k = i + __builtin_ctzll(starts);
                m = eq64_avx2_8(t + i, t[k]) & eq64_avx2_8(p + i, p[k]) & rest;
                rest &= ~m;
                table[((unsigned)t[k] << 8) | p[k]] += (uint32_t)__builtin_popcountll(m);
            }
        }
        if (__builtin_popcountll(rest) > FIOU_FEW_RUNS) plain_blocks = FIOU_PLAIN_BLOCKS;
        if (rest) {     /* the lanes left, one by one, from their 16-bit codes */
            uint16_t codes[64];
            for (int h = 0; h < 4; h++) {
                __m256i tw = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i*)(t + i + 16 * h)));
                __m256i pw = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i*)(p + i + 16 * h)));
                _mm256_storeu_si256((__m256i*)(codes + 16 * h),
                                    _mm256_or_si256(_mm256_slli_epi16(tw, 8), pw));
            }
            while (rest) {
                table[codes[__builtin_ctzll(rest)]] += 1;
                rest &= rest - 1;
            }
        }
    }
    for (; i < end; i++) table[((unsigned)t[i] << 8) | p[i]] += 1;
}

/* AVX-512, two interleaved tables: the codes of the lanes left after the two reference
   pairs are compressed into a buffer, which one branch-free loop counts, alternating
   between the tables so that repeated codes do not serialise on one counter. Measured:
   1.5-2x faster than the AVX2 scheme above with AVX-512, slower without a compress
   instruction. */
#define FIOU_CODE_BUFFER 2048

static inline void fiou_count_codes(const uint16_t* codes, ptrdiff_t n, uint32_t* table) {
    ptrdiff_t j = 0;
    for (; j + 2 <= n; j += 2) {
        table[codes[j]] += 1;
        table[65536 + codes[j + 1]] += 1;
    }
    if (j < n) table[codes[j]] += 1;
}

#define FIOU_DEFINE_COMPRESSED_BYTE_KERNEL(ISA, ATTR)                                         \
ATTR static inline void fiou_bytes_##ISA(const uint8_t* t, const uint8_t* p, ptrdiff_t start,  \
        ptrdiff_t end, const uint8_t* ignore, int n_ignore, uint32_t* table) {                 \
    ptrdiff_t i = start, n_codes = 0;                                                          \
    uint16_t codes[FIOU_CODE_BUFFER + 64];                                                    \
    int g;                                                                                    \
    for (; i + 64 <= end; i += 64) {                                                          \
        uint64_t m, rest = ~(uint64_t)0;                                                      \
        __builtin_prefetch(t + i + FIOU_PREFETCH_BYTES);                                      \
        __builtin_prefetch(p + i + FIOU_PREFETCH_BYTES);                                      \
        for (g = 0; g < n_ignore; g++) rest &= ~eq64_avx512_8(t + i, ignore[g]);              \
        m = eq64_avx512_8(t + i, t[i]) & eq64_avx512_8(p + i, p[i]) & rest;                   \
        rest &= ~m;                                                                           \
        table[((unsigned)t[i] << 8) | p[i]] += (uint32_t)__builtin_popcountll(m);             \
        if (rest >> 63) {                                                                     \
            m = eq64_avx512_8(t + i, t[i + 63]) & eq64_avx512_8(p + i, p[i + 63]) & rest;     \
            rest &= ~m;                                                                       \
            table[((unsigned)t[i + 63] << 8) | p[i + 63]] += (uint32_t)__builtin_popcountll(m);\
        }                                                                                     \
        if (rest) {     /* most blocks of smooth maps have no lane left */                    \
            fiou_append_##ISA(t + i, p + i, rest, codes + n_codes);                           \
            n_codes += __builtin_popcountll(rest);                                            \
            if (n_codes >= FIOU_CODE_BUFFER) {                                                \
                fiou_count_codes(codes, n_codes, table);                                      \
                n_codes = 0;                                                                  \
            }                                                                                 \
        }                                                                                     \
    }                                                                                         \
    fiou_count_codes(codes, n_codes, table);                                                  \
    for (; i < end; i++) table[((unsigned)t[i] << 8) | p[i]] += 1;                            \
}
FIOU_DEFINE_COMPRESSED_BYTE_KERNEL(avx512, FIOU_AVX512)
FIOU_DEFINE_COMPRESSED_BYTE_KERNEL(avx512vbmi2, FIOU_AVX512_VBMI2)
#endif /* FIOU_X86 */

/* how many interleaved 65536-bin tables fiou_count_bytes fills at `level` */
static inline int fiou_byte_tables(int level) { return level == 1 ? 1 : 2; }

/* Count the pairs [start, end) into `table` with the SIMD loop of `level`; returns 0 when
   there is none (the caller then counts them with its scalar loop). */
static inline int fiou_count_bytes(int level, const uint8_t* t, const uint8_t* p,
        ptrdiff_t start, ptrdiff_t end, const uint8_t* ignore, int n_ignore, uint32_t* table) {
#ifdef FIOU_X86
    if (level >= 3) { fiou_bytes_avx512vbmi2(t, p, start, end, ignore, n_ignore, table); return 1; }
    if (level >= 2) { fiou_bytes_avx512(t, p, start, end, ignore, n_ignore, table); return 1; }
    if (level >= 1) { fiou_bytes_avx2(t, p, start, end, ignore, n_ignore, table); return 1; }
#else
    (void)level; (void)t; (void)p; (void)start; (void)end; (void)ignore; (void)n_ignore;
    (void)table;
#endif
    return 0;
}

#endif /* FASTIOU_BYTE_KERNELS_H */
