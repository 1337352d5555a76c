"""Confusion-matrix kernels over two flat, contiguous label arrays of one dtype.

Private: the public wrappers in ``fastiou._core`` validate and convert the input, resolve
the thread count and call these. Every kernel returns the same four things:

``matrix``
    ``(C, C)`` counts (int64, or float64 with weights), rows = truth, columns = prediction.
``miss``
    ``(C,)`` count of pairs whose truth is the class but whose prediction is outside
    ``[0, C)``; such pairs never enter ``matrix``.
``n_bad_true``
    number of pairs whose truth is outside ``[0, C)`` and not an ignore value.
``n_bad_pred``
    number of pairs with a valid truth and a prediction outside ``[0, C)`` (``miss.sum()``
    without weights).

Pairs whose truth is an ignore value are dropped before anything else is looked at.
No label is ever used as an index unless it lies in ``[0, C)``.

How the unweighted kernel counts (measurements in ``benchmarks/README.md``):

- Each thread takes one contiguous slice of the pairs, in blocks of 64. A block is compared
  (AVX2 or AVX-512, picked at run time from what the CPU has; the C loops are in the verbatim
  block below) against its first pair, its last pair and, while many lanes remain, the lowest
  lane left; each match adds a popcount to one counter. Only a reference pair inside
  ``[0, C)`` is used, so every lane it matches is inside too; the lanes left over go through
  the checked one-by-one path. After a block without runs the next blocks are counted lane
  by lane. Without SIMD (another CPU or compiler) the Cython loops further down do all of it.
- One-byte labels from ``BYTE_TABLE_MIN_PAIRS`` pairs on: the 16-bit code ``(t << 8) | p``
  indexes per-thread uint32 tables with no range check at all; a block's runs are added by
  popcount as above, and with AVX-512 the codes of its other lanes are compressed into a
  buffer that one branch-free loop counts into two alternating tables. The tables are
  flushed into int64 before they could wrap, and ignore and range rules are applied to
  their sum afterwards.
- ``count_png_pairs`` counts two PNG images a few rows at a time while they are in cache
  (inflated first, or inflated as it goes by zlib-ng; unfiltered by ``fastiou._unfilter``):
  each row from the row above it, weighting the pairs that changed by the rows left below,
  into the same byte tables, folded through per-byte class tables (label maps, ignores).
- Other inputs: thread 0 counts into the result itself, the others into private int64 rows
  (padded to cache lines) that are added to it afterwards; in-range ignore rows are zeroed
  at the end. Integer sums in any order: the result never depends on the thread count.
"""

from cython.parallel cimport parallel, prange
from libc.string cimport memcpy, memset
from libc.stdint cimport (
    int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t,
)

import threading

import numpy as np

from fastiou._shared._openmp cimport omp_get_num_threads, omp_get_thread_num
from fastiou.evaluate._unfilter cimport unfilter_rows

cdef extern from *:
    """
    /* Run-aware SIMD counting loops, compiled for AVX2 and AVX-512 with GCC/Clang target
       attributes and chosen at run time; elsewhere every entry point returns 0 and the
       Cython scalar loops run instead. */
    #include <stdint.h>
    #include <string.h>

    #if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
    #define FIOU_X86 1
    #include <immintrin.h>
    #define FIOU_AVX2 __attribute__((target("avx2,bmi,popcnt")))
    #define FIOU_AVX512 __attribute__((target("avx512f,avx512bw,avx2,bmi,popcnt")))
    #define FIOU_AVX512_VBMI2 __attribute__((target("avx512f,avx512bw,avx512vbmi2,avx2,bmi,popcnt")))
    #endif

    /* 0: scalar only, 1: AVX2, 2: AVX-512 (F + BW), 3: AVX-512 (F + BW + VBMI2) */
    static int fiou_simd_detected = -1;
    static int fiou_simd_cap = 3;

    static int fiou_detect_simd(void) {
    #ifdef FIOU_X86
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw"))
            return __builtin_cpu_supports("avx512vbmi2") ? 3 : 2;
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi")
                && __builtin_cpu_supports("popcnt")) return 1;
    #endif
        return 0;
    }

    static int fiou_simd_available(void) {
        if (fiou_simd_detected < 0) fiou_simd_detected = fiou_detect_simd();
        return fiou_simd_detected;
    }

    static int fiou_simd_level(void) {
        int available = fiou_simd_available();
        return available < fiou_simd_cap ? available : fiou_simd_cap;
    }

    #ifdef FIOU_X86
    /* eq64_ISA_W(ptr, v): bit k set when the k-th W-bit element at ptr equals v (64 elements) */
    FIOU_AVX512 static inline uint64_t eq64_avx512_8(const void* ptr, uint64_t v) {
        return _mm512_cmpeq_epi8_mask(_mm512_loadu_si512(ptr), _mm512_set1_epi8((char)v));
    }
    FIOU_AVX512 static inline uint64_t eq64_avx512_16(const void* ptr, uint64_t v) {
        const __m512i* x = (const __m512i*)ptr;
        __m512i b = _mm512_set1_epi16((short)v);
        return (uint64_t)_mm512_cmpeq_epi16_mask(_mm512_loadu_si512(x), b)
             | ((uint64_t)_mm512_cmpeq_epi16_mask(_mm512_loadu_si512(x + 1), b) << 32);
    }
    FIOU_AVX512 static inline uint64_t eq64_avx512_32(const void* ptr, uint64_t v) {
        const __m512i* x = (const __m512i*)ptr;
        __m512i b = _mm512_set1_epi32((int)v);
        uint64_t m = 0;
        for (int k = 0; k < 4; k++)
            m |= (uint64_t)_mm512_cmpeq_epi32_mask(_mm512_loadu_si512(x + k), b) << (16 * k);
        return m;
    }
    FIOU_AVX512 static inline uint64_t eq64_avx512_64(const void* ptr, uint64_t v) {
        const __m512i* x = (const __m512i*)ptr;
        __m512i b = _mm512_set1_epi64((long long)v);
        uint64_t m = 0;
        for (int k = 0; k < 8; k++)
            m |= (uint64_t)_mm512_cmpeq_epi64_mask(_mm512_loadu_si512(x + k), b) << (8 * k);
        return m;
    }
    FIOU_AVX2 static inline uint64_t eq64_avx2_8(const void* ptr, uint64_t v) {
        const __m256i* x = (const __m256i*)ptr;
        __m256i b = _mm256_set1_epi8((char)v);
        uint32_t lo = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_loadu_si256(x), b));
        uint32_t hi = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_loadu_si256(x + 1), b));
        return (uint64_t)lo | ((uint64_t)hi << 32);
    }
    FIOU_AVX2 static inline uint64_t eq64_avx2_16(const void* ptr, uint64_t v) {
        const __m256i* x = (const __m256i*)ptr;
        __m256i b = _mm256_set1_epi16((short)v);
        uint64_t m = 0;
        for (int k = 0; k < 2; k++) {
            /* two compares of 16 lanes -> 32 bytes, lane order restored across 128-bit halves */
            __m256i packed = _mm256_packs_epi16(_mm256_cmpeq_epi16(_mm256_loadu_si256(x + 2 * k), b),
                                                _mm256_cmpeq_epi16(_mm256_loadu_si256(x + 2 * k + 1), b));
            packed = _mm256_permute4x64_epi64(packed, 0xD8);
            m |= (uint64_t)(uint32_t)_mm256_movemask_epi8(packed) << (32 * k);
        }
        return m;
    }
    FIOU_AVX2 static inline uint64_t eq64_avx2_32(const void* ptr, uint64_t v) {
        const __m256i* x = (const __m256i*)ptr;
        __m256i b = _mm256_set1_epi32((int)v);
        uint64_t m = 0;
        for (int k = 0; k < 8; k++)
            m |= (uint64_t)_mm256_movemask_ps(_mm256_castsi256_ps(
                     _mm256_cmpeq_epi32(_mm256_loadu_si256(x + k), b))) << (8 * k);
        return m;
    }
    FIOU_AVX2 static inline uint64_t eq64_avx2_64(const void* ptr, uint64_t v) {
        const __m256i* x = (const __m256i*)ptr;
        __m256i b = _mm256_set1_epi64x((long long)v);
        uint64_t m = 0;
        for (int k = 0; k < 16; k++)
            m |= (uint64_t)_mm256_movemask_pd(_mm256_castsi256_pd(
                     _mm256_cmpeq_epi64(_mm256_loadu_si256(x + k), b))) << (4 * k);
        return m;
    }

    /* after the first and last pair of a block, this many unmatched lanes are taken as a
       sign of another run: the lowest of them is tried as one more reference pair */
    #define FIOU_RUN_GUESS 12
    /* blocks end with a data-dependent branch whose mispredictions stall the hardware
       prefetchers' lead; asking for the lines this far ahead keeps the loads in cache */
    #define FIOU_PREFETCH_BYTES 4096
    /* a block with more lanes than this left after its reference pairs has short runs or none
       (noise, random labels): the next FIOU_PLAIN_BLOCKS blocks are counted lane by lane */
    #define FIOU_FEW_RUNS 40
    #define FIOU_PLAIN_BLOCKS 8
    /* lanes whose truth equals one of the first this-many ignore values are dropped by a block
       compare (their pairs are never counted); further ignore values go the one-by-one way */
    #define FIOU_MASKED_IGNORES 4

    /* One-byte labels into 65536-bin uint32 tables of pair codes (t << 8) | p; the caller keeps
       end - start below 2**32 between flushes. Per block of 64 pairs, the pairs equal to the
       block's first pair, then those equal to its last, are added with one popcount each. */

    /* AVX2, one table: while many lanes are left the lowest is tried as one more reference
       pair, then the other lanes are counted one by one; after a block with few runs the next
       blocks are counted lane by lane without looking for runs. */
    FIOU_AVX2 static void fiou_bytes_avx2(const uint8_t* t, const uint8_t* p, Py_ssize_t start,
            Py_ssize_t end, const uint8_t* ignore, int n_ignore, uint32_t* table) {
        Py_ssize_t i = start, k, plain_blocks = 0;
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
            while (__builtin_popcountll(rest) >= FIOU_RUN_GUESS) {
                uint32_t found;
                k = i + __builtin_ctzll(rest);
                m = eq64_avx2_8(t + i, t[k]) & eq64_avx2_8(p + i, p[k]) & rest;
                rest &= ~m;
                found = (uint32_t)__builtin_popcountll(m);
                table[((unsigned)t[k] << 8) | p[k]] += found;
                if (found < FIOU_RUN_GUESS / 2) break;
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

    static inline void fiou_count_codes(const uint16_t* codes, Py_ssize_t n, uint32_t* table) {
        Py_ssize_t j = 0;
        for (; j + 2 <= n; j += 2) {
            table[codes[j]] += 1;
            table[65536 + codes[j + 1]] += 1;
        }
        if (j < n) table[codes[j]] += 1;
    }

    /* fiou_append_ISA(t, p, lanes, out): write the codes of the 64 pairs at t, p whose bit is
       set in `lanes` to out[0..popcount), in lane order (out has room for 64): VBMI2
       compresses 32 16-bit codes per instruction, AVX-512 F 16 32-bit codes. */
    FIOU_AVX512_VBMI2 static inline void fiou_append_avx512vbmi2(const uint8_t* t, const uint8_t* p,
                                                                 uint64_t lanes, uint16_t* out) {
        for (int h = 0; h < 2; h++) {
            __m512i tw = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i*)(t + 32 * h)));
            __m512i pw = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i*)(p + 32 * h)));
            __mmask32 mask = (__mmask32)(lanes >> (32 * h));
            _mm512_storeu_si512(out, _mm512_maskz_compress_epi16(
                mask, _mm512_or_si512(_mm512_slli_epi16(tw, 8), pw)));
            out += __builtin_popcount((unsigned)mask);
        }
    }
    FIOU_AVX512 static inline void fiou_append_avx512(const uint8_t* t, const uint8_t* p,
                                                      uint64_t lanes, uint16_t* out) {
        for (int h = 0; h < 4; h++) {
            __m512i tw = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i*)(t + 16 * h)));
            __m512i pw = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i*)(p + 16 * h)));
            __mmask16 mask = (__mmask16)(lanes >> (16 * h));
            _mm256_storeu_si256((__m256i*)out, _mm512_cvtepi32_epi16(_mm512_maskz_compress_epi32(
                mask, _mm512_or_si512(_mm512_slli_epi32(tw, 8), pw))));
            out += __builtin_popcount((unsigned)mask);
        }
    }

    #define FIOU_DEFINE_COMPRESSED_BYTE_KERNEL(ISA, ATTR)                                         \
    ATTR static void fiou_bytes_##ISA(const uint8_t* t, const uint8_t* p, Py_ssize_t start,        \
            Py_ssize_t end, const uint8_t* ignore, int n_ignore, uint32_t* table) {                \
        Py_ssize_t i = start, n_codes = 0;                                                         \
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
            if (rest) {     /* most blocks of smooth maps have no lane left */                  \
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
    #endif

    /* how many interleaved 65536-bin tables fiou_count_bytes fills at `level` */
    static int fiou_byte_tables(int level) { return level == 1 ? 1 : 2; }

    static int fiou_count_bytes(int level, const uint8_t* t, const uint8_t* p, Py_ssize_t start,
                                Py_ssize_t end, const uint8_t* ignore, int n_ignore,
                                uint32_t* table) {
    #ifdef FIOU_X86
        if (level >= 3) { fiou_bytes_avx512vbmi2(t, p, start, end, ignore, n_ignore, table); return 1; }
        if (level >= 2) { fiou_bytes_avx512(t, p, start, end, ignore, n_ignore, table); return 1; }
        if (level >= 1) { fiou_bytes_avx2(t, p, start, end, ignore, n_ignore, table); return 1; }
    #endif
        return 0;
    }

    /* Row-to-row counting of two decoded images (count_png_pairs): a row is counted from
       the row above it. Where a pair (t, p) differs from the pair above it, `weight` is added
       to the new pair's code and taken from the old one's, in uint32 arithmetic: modulo
       2**32, exact again once the caller's sums are whole counts. Lanes that repeat the pair
       above (about 99 % of a label map's) cost one compare each. */
    static inline void fiou_count_change(const uint8_t* t, const uint8_t* p, const uint8_t* t_above,
            const uint8_t* p_above, Py_ssize_t k, uint32_t weight, uint32_t* table, uint8_t* seen) {
        seen[t[k]] = 1;
        table[((unsigned)t[k] << 8) | p[k]] += weight;
        table[((unsigned)t_above[k] << 8) | p_above[k]] -= weight;
    }

    static void fiou_row_changes_scalar(const uint8_t* t, const uint8_t* p, const uint8_t* t_above,
            const uint8_t* p_above, Py_ssize_t n, uint32_t weight, uint32_t* table, uint8_t* seen) {
        Py_ssize_t i = 0, k;
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
    ATTR static void fiou_row_changes_##ISA(const uint8_t* t, const uint8_t* p,                    \
            const uint8_t* t_above, const uint8_t* p_above, Py_ssize_t n, uint32_t weight,         \
            uint32_t* table, uint8_t* seen) {                                                     \
        uint64_t changed[64];                                                                     \
        uint16_t now[64 * 64 + 64], before[64 * 64 + 64];                                         \
        for (Py_ssize_t start = 0; start < n; start += 64 * 64) {                                 \
            Py_ssize_t stop = n - start < 64 * 64 ? n : start + 64 * 64, n_codes = 0, j;          \
            uint64_t blocks = 0;                                                                  \
            int b = 0;                                                                            \
            for (Py_ssize_t i = start; i < stop; i += 64, b++) {                                  \
                __mmask64 in = stop - i >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << (stop - i)) - 1);\
                changed[b] = _mm512_cmpneq_epi8_mask(_mm512_maskz_loadu_epi8(in, t + i),          \
                                                     _mm512_maskz_loadu_epi8(in, t_above + i))    \
                           | _mm512_cmpneq_epi8_mask(_mm512_maskz_loadu_epi8(in, p + i),          \
                                                     _mm512_maskz_loadu_epi8(in, p_above + i));   \
                blocks |= (uint64_t)(changed[b] != 0) << b;                                       \
            }                                                                                     \
            for (; blocks; blocks &= blocks - 1) {                                                \
                int block = __builtin_ctzll(blocks);                                              \
                Py_ssize_t i = start + 64 * (Py_ssize_t)block;                                    \
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
    #endif

    static void fiou_count_row_changes(int level, const uint8_t* t, const uint8_t* p,
            const uint8_t* t_above, const uint8_t* p_above, Py_ssize_t n, uint32_t weight,
            uint32_t* table, uint8_t* seen) {
    #ifdef FIOU_X86
        if (level >= 3) { fiou_row_changes_avx512vbmi2(t, p, t_above, p_above, n, weight, table, seen); return; }
        if (level >= 2) { fiou_row_changes_avx512(t, p, t_above, p_above, n, weight, table, seen); return; }
    #endif
        fiou_row_changes_scalar(t, p, t_above, p_above, n, weight, table, seen);
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
    static const uint8_t* fiou_next_rows(fiou_png_rows* rows, Py_ssize_t first, Py_ssize_t n_rows,
                                         Py_ssize_t width) {
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
    static int fiou_rows_end(fiou_png_rows* rows) {
        uint8_t extra;
        if (rows->data != NULL || rows->status == FIOU_Z_STREAM_END) return 1;
        rows->stream.next_out = &extra;
        rows->stream.avail_out = 1;
        rows->status = rows->inflate(&rows->stream, 0);
        return rows->status == FIOU_Z_STREAM_END && rows->stream.avail_out == 1;
    }

    static void fiou_count_row_weighted(const uint8_t* t, const uint8_t* p, Py_ssize_t n,
                                        uint32_t weight, uint32_t* table, uint8_t* seen) {
        for (Py_ssize_t i = 0; i < n; i++) {
            seen[t[i]] = 1;
            table[((unsigned)t[i] << 8) | p[i]] += weight;
        }
    }

    /* Labels of any integer type T into an int64 (C, C) histogram, with range checks: a
       block's reference pair is used only when it lies in [0, C), so every pair matched to it
       does too; the other lanes go through the checked one-by-one path. */
    #define FIOU_ONE_PAIR(T)                                                                      \
        do {                                                                                      \
            uint64_t tv = (uint64_t)t[k], pv = (uint64_t)p[k];                                     \
            if ((tv < n_classes) & (pv < n_classes)) hist[tv * n_classes + pv] += 1;              \
            else {                                                                                \
                int ignored = 0;                                                                  \
                for (Py_ssize_t g = 0; g < n_ignore; g++) ignored |= (t[k] == ignore[g]);          \
                if (!ignored) {                                                                   \
                    if (tv >= n_classes) bad[0] += 1;                                             \
                    else { bad[1] += 1; miss[tv] += 1; }                                          \
                }                                                                                 \
            }                                                                                     \
        } while (0)

    #define FIOU_DEFINE_KERNEL(ISA, ATTR, NAME, T, W)                                             \
    ATTR static void fiou_count_##NAME##_##ISA(const T* t, const T* p, Py_ssize_t start,           \
            Py_ssize_t end, uint64_t n_classes, const T* ignore, Py_ssize_t n_ignore,               \
            int64_t* hist, int64_t* miss, int64_t* bad) {                                         \
        Py_ssize_t i = start, k, g, plain_blocks = 0;                                              \
        for (; i + 64 <= end; i += 64) {                                                          \
            uint64_t rest = ~(uint64_t)0, m, tv, pv;                                              \
            for (k = 0; k < (Py_ssize_t)sizeof(T); k++) {  /* one line per byte of T */    \
                __builtin_prefetch((const char*)(t + i) + FIOU_PREFETCH_BYTES + 64 * k);          \
                __builtin_prefetch((const char*)(p + i) + FIOU_PREFETCH_BYTES + 64 * k);          \
            }                                                                                     \
            if (plain_blocks > 0) {                                                               \
                plain_blocks--;                                                                   \
                for (k = i; k < i + 64; k++) FIOU_ONE_PAIR(T);                                    \
                continue;                                                                         \
            }                                                                                     \
            for (g = 0; g < n_ignore && g < FIOU_MASKED_IGNORES; g++)                             \
                rest &= ~eq64_##ISA##_##W(t + i, (uint64_t)ignore[g]);                            \
            tv = (uint64_t)t[i]; pv = (uint64_t)p[i];                                             \
            if ((tv < n_classes) & (pv < n_classes)) {                                            \
                m = eq64_##ISA##_##W(t + i, (uint64_t)t[i]) & eq64_##ISA##_##W(p + i, (uint64_t)p[i]) \
                  & rest;                                                                         \
                rest &= ~m;                                                                       \
                hist[tv * n_classes + pv] += __builtin_popcountll(m);                             \
            }                                                                                     \
            tv = (uint64_t)t[i + 63]; pv = (uint64_t)p[i + 63];                                   \
            if ((rest >> 63) & (tv < n_classes) & (pv < n_classes)) {                             \
                m = eq64_##ISA##_##W(t + i, (uint64_t)t[i + 63])                                  \
                  & eq64_##ISA##_##W(p + i, (uint64_t)p[i + 63]) & rest;                          \
                rest &= ~m;                                                                       \
                hist[tv * n_classes + pv] += __builtin_popcountll(m);                             \
            }                                                                                     \
            while (__builtin_popcountll(rest) >= FIOU_RUN_GUESS) {                                \
                int found;                                                                        \
                k = i + __builtin_ctzll(rest);                                                    \
                tv = (uint64_t)t[k]; pv = (uint64_t)p[k];                                         \
                if (!((tv < n_classes) & (pv < n_classes))) break;                                \
                m = eq64_##ISA##_##W(t + i, (uint64_t)t[k]) & eq64_##ISA##_##W(p + i, (uint64_t)p[k]) \
                  & rest;                                                                         \
                rest &= ~m;                                                                       \
                found = __builtin_popcountll(m);                                                  \
                hist[tv * n_classes + pv] += found;                                               \
                if (found < FIOU_RUN_GUESS / 2) break;                                            \
            }                                                                                     \
            if (__builtin_popcountll(rest) > FIOU_FEW_RUNS) plain_blocks = FIOU_PLAIN_BLOCKS;     \
            while (rest) {                                                                        \
                k = i + __builtin_ctzll(rest);                                                    \
                rest &= rest - 1;                                                                 \
                FIOU_ONE_PAIR(T);                                                                 \
            }                                                                                     \
        }                                                                                         \
        for (k = i; k < end; k++) FIOU_ONE_PAIR(T);                                               \
    }

    #define FIOU_DEFINE_TYPE(NAME, T, W)                                                          \
        FIOU_DEFINE_KERNEL(avx2, FIOU_AVX2, NAME, T, W)                                           \
        FIOU_DEFINE_KERNEL(avx512, FIOU_AVX512, NAME, T, W)                                       \
    static int fiou_count_##NAME(int level, const T* t, const T* p, Py_ssize_t start,              \
            Py_ssize_t end, uint64_t n_classes, const T* ignore, Py_ssize_t n_ignore,               \
            int64_t* hist, int64_t* miss, int64_t* bad) {                                         \
        if (level >= 2) fiou_count_##NAME##_avx512(t, p, start, end, n_classes, ignore, n_ignore, \
                                                   hist, miss, bad);                              \
        else if (level >= 1) fiou_count_##NAME##_avx2(t, p, start, end, n_classes, ignore,        \
                                                      n_ignore, hist, miss, bad);                 \
        else return 0;                                                                            \
        return 1;                                                                                 \
    }
    #ifdef FIOU_X86
    FIOU_DEFINE_TYPE(u8, uint8_t, 8)
    FIOU_DEFINE_TYPE(i8, int8_t, 8)
    FIOU_DEFINE_TYPE(u16, uint16_t, 16)
    FIOU_DEFINE_TYPE(i16, int16_t, 16)
    FIOU_DEFINE_TYPE(u32, uint32_t, 32)
    FIOU_DEFINE_TYPE(i32, int32_t, 32)
    FIOU_DEFINE_TYPE(u64, uint64_t, 64)
    FIOU_DEFINE_TYPE(i64, int64_t, 64)
    #endif

    /* The run-aware loop for labels of `size` bytes, signed or not; returns 0 when this machine
       or compiler has none (the caller then runs its scalar loop). */
    static int fiou_count_labels(int level, int size, int is_signed, const void* t, const void* p,
            Py_ssize_t start, Py_ssize_t end, uint64_t n_classes, const void* ignore,
            Py_ssize_t n_ignore, int64_t* hist, int64_t* miss, int64_t* bad) {
    #ifdef FIOU_X86
    #define FIOU_CALL(NAME, T) fiou_count_##NAME(level, (const T*)t, (const T*)p, start, end,       \
            n_classes, (const T*)ignore, n_ignore, hist, miss, bad)
        switch (size * 2 + (is_signed != 0)) {
            case 2: return FIOU_CALL(u8, uint8_t);
            case 3: return FIOU_CALL(i8, int8_t);
            case 4: return FIOU_CALL(u16, uint16_t);
            case 5: return FIOU_CALL(i16, int16_t);
            case 8: return FIOU_CALL(u32, uint32_t);
            case 9: return FIOU_CALL(i32, int32_t);
            case 16: return FIOU_CALL(u64, uint64_t);
            case 17: return FIOU_CALL(i64, int64_t);
        }
    #undef FIOU_CALL
    #endif
        return 0;
    }
    """
    int fiou_simd_available() noexcept nogil
    int fiou_simd_level() noexcept nogil
    int fiou_simd_cap
    void fiou_count_row_changes(int level, const uint8_t* t, const uint8_t* p,
                                const uint8_t* t_above, const uint8_t* p_above, Py_ssize_t n,
                                uint32_t weight, uint32_t* table, uint8_t* seen) noexcept nogil
    void fiou_count_row_weighted(const uint8_t* t, const uint8_t* p, Py_ssize_t n,
                                 uint32_t weight, uint32_t* table, uint8_t* seen) noexcept nogil
    ctypedef struct fiou_zng_stream:
        const uint8_t* next_in
        uint32_t avail_in
    ctypedef int32_t (*fiou_zng_init)(fiou_zng_stream*, int32_t) noexcept nogil
    ctypedef int32_t (*fiou_zng_inflate)(fiou_zng_stream*, int32_t) noexcept nogil
    ctypedef int32_t (*fiou_zng_end)(fiou_zng_stream*) noexcept nogil
    ctypedef struct fiou_png_rows:
        const uint8_t* data
        fiou_zng_stream stream
        fiou_zng_inflate inflate
        uint8_t* buffer
        int32_t status
    const uint8_t* fiou_next_rows(fiou_png_rows* rows, Py_ssize_t first, Py_ssize_t n_rows,
                                  Py_ssize_t width) noexcept nogil
    int fiou_rows_end(fiou_png_rows* rows) noexcept nogil
    int fiou_byte_tables(int level) noexcept nogil
    int fiou_count_bytes(int level, const uint8_t* t, const uint8_t* p, Py_ssize_t start,
                         Py_ssize_t end, const uint8_t* ignore, int n_ignore,
                         uint32_t* table) noexcept nogil
    int FIOU_MASKED_IGNORES
    int fiou_count_labels(int level, int size, int is_signed, const void* t, const void* p,
                          Py_ssize_t start, Py_ssize_t end, uint64_t n_classes,
                          const void* ignore, Py_ssize_t n_ignore, int64_t* hist,
                          int64_t* miss, int64_t* bad) noexcept nogil

from fastiou._shared._fused cimport label_t

ctypedef fused acc_t:
    int64_t
    double

cdef enum:
    # int64 (or double) slots in a 64-byte cache line: per-thread rows are padded to it
    LINE = 8
    # interleaved copies of a thread's histogram, so that a run of identical pairs does not
    # serialise on one counter; used while the copies fit in SMALL_TABLE_BYTES
    COPIES = 4
    SMALL_TABLE_BYTES = 1 << 18
    # one-byte labels: a pair (t, p) is the 16-bit index (t << 8) | p of a 65536-bin table,
    # kept in two copies that alternate (fiou_byte_tables), so that repeated codes do not
    # wait on one counter
    BYTE_TABLE = 65536
    # below this many pairs the byte tables cost more (checking and folding their rows)
    # than they save: on Cityscapes-like maps (fastiou.demo) 128x256 22 us either way,
    # 256x512 44 -> 33 us and 512x512 86 -> 48 us with the tables; on the smoothest
    # maps the tables lose 5-8 us from 2**17 to 2**18 pairs
    BYTE_TABLE_MIN_PAIRS = 1 << 17
    # count_png_pairs decodes about this many bytes of each image before counting them
    PNG_STRETCH_BYTES = 16384


# uint32 byte tables are flushed into int64 at least this often (a private test hook,
# `_set_byte_flush_interval`, lowers it); it must stay below 2**32
cdef Py_ssize_t byte_flush_interval = (1 << 32) - 1


def _set_byte_flush_interval(Py_ssize_t pairs):
    """Test hook: flush the uint32 byte tables every `pairs` pairs; returns the old value."""
    global byte_flush_interval
    if not 0 < pairs < (1 << 32):
        raise ValueError(f"`pairs` must lie in [1, 2**32), got {pairs}")
    old, byte_flush_interval = byte_flush_interval, pairs
    return old


def _simd_levels():
    """The SIMD levels this machine can run: 0 = scalar, 1 = AVX2, 2 = AVX-512 F/BW,
    3 = AVX-512 F/BW + VBMI2 (the one-byte kernel compresses 16-bit codes)."""
    return list(range(fiou_simd_available() + 1))


SIMD_PATHS = ("scalar", "AVX2", "AVX-512", "AVX-512 VBMI2")


def simd_path():
    """Name of the SIMD loops the kernels run on this machine (picked at the first call)."""
    return SIMD_PATHS[fiou_simd_level()]


def _set_simd_cap(int level):
    """Test hook: use at most SIMD `level` (see `_simd_levels`); returns the old cap."""
    global fiou_simd_cap
    old, fiou_simd_cap = fiou_simd_cap, level
    return old


cdef inline Py_ssize_t padded(Py_ssize_t size) noexcept nogil:
    """`size` rounded up to whole cache lines, plus one line of separation."""
    return ((size + LINE - 1) // LINE + 1) * LINE


cdef inline bint is_ignored(label_t value, const label_t* ignore,
                            Py_ssize_t n_ignore) noexcept nogil:
    cdef Py_ssize_t k
    for k in range(n_ignore):
        if value == ignore[k]:
            return True
    return False


cdef inline void count_outside(label_t t, uint64_t n_classes, acc_t weight,
                               const label_t* ignore, Py_ssize_t n_ignore,
                               acc_t* miss, int64_t* bad) noexcept nogil:
    """Book a pair whose truth or prediction lies outside [0, C): nothing here indexes
    with the prediction, and the truth only after its range check."""
    if is_ignored(t, ignore, n_ignore):
        return
    if <uint64_t>t >= n_classes:
        bad[0] += 1
    else:
        bad[1] += 1
        miss[<uint64_t>t] += weight


cdef void count_range(const label_t* y_true, const label_t* y_pred,
                      Py_ssize_t start, Py_ssize_t end, uint64_t n_classes,
                      const label_t* ignore, Py_ssize_t n_ignore,
                      int64_t* hist, Py_ssize_t copy_stride,
                      int64_t* miss, int64_t* bad) noexcept nogil:
    """Unweighted counts of pairs [start, end). Four pairs per step go to four interleaved
    histogram copies (`copy_stride` apart; 0 when there is one copy). A label is cast to
    uint64 before its range check, so negative labels are out of range too."""
    cdef int64_t* h0 = hist
    cdef int64_t* h1 = hist + copy_stride
    cdef int64_t* h2 = hist + 2 * copy_stride
    cdef int64_t* h3 = hist + 3 * copy_stride
    cdef uint64_t t0, t1, t2, t3, p0, p1, p2, p3
    cdef Py_ssize_t i = start
    cdef Py_ssize_t j
    while i + 4 <= end:
        t0 = <uint64_t>y_true[i]
        t1 = <uint64_t>y_true[i + 1]
        t2 = <uint64_t>y_true[i + 2]
        t3 = <uint64_t>y_true[i + 3]
        p0 = <uint64_t>y_pred[i]
        p1 = <uint64_t>y_pred[i + 1]
        p2 = <uint64_t>y_pred[i + 2]
        p3 = <uint64_t>y_pred[i + 3]
        if ((t0 < n_classes) & (p0 < n_classes) & (t1 < n_classes) & (p1 < n_classes)
                & (t2 < n_classes) & (p2 < n_classes) & (t3 < n_classes) & (p3 < n_classes)):
            h0[t0 * n_classes + p0] += 1
            h1[t1 * n_classes + p1] += 1
            h2[t2 * n_classes + p2] += 1
            h3[t3 * n_classes + p3] += 1
        else:
            for j in range(i, i + 4):
                t0 = <uint64_t>y_true[j]
                p0 = <uint64_t>y_pred[j]
                if (t0 < n_classes) & (p0 < n_classes):
                    h0[t0 * n_classes + p0] += 1
                else:
                    count_outside(y_true[j], n_classes, <int64_t>1, ignore, n_ignore, miss, bad)
        i += 4
    while i < end:
        t0 = <uint64_t>y_true[i]
        p0 = <uint64_t>y_pred[i]
        if (t0 < n_classes) & (p0 < n_classes):
            h0[t0 * n_classes + p0] += 1
        else:
            count_outside(y_true[i], n_classes, <int64_t>1, ignore, n_ignore, miss, bad)
        i += 1


cdef void count_range_weighted(const label_t* y_true, const label_t* y_pred,
                               const double* weights, Py_ssize_t start, Py_ssize_t end,
                               uint64_t n_classes, const label_t* ignore, Py_ssize_t n_ignore,
                               double* hist, double* miss, int64_t* bad) noexcept nogil:
    """Weighted counts of pairs [start, end) into one float64 histogram."""
    cdef uint64_t t, p
    cdef Py_ssize_t i
    for i in range(start, end):
        t = <uint64_t>y_true[i]
        p = <uint64_t>y_pred[i]
        if (t < n_classes) & (p < n_classes):
            hist[t * n_classes + p] += weights[i]
        else:
            count_outside(y_true[i], n_classes, weights[i], ignore, n_ignore, miss, bad)


cdef void count_bytes(const uint8_t* y_true, const uint8_t* y_pred,
                      Py_ssize_t start, Py_ssize_t end, uint32_t* table) noexcept nogil:
    """Count the 16-bit pair codes (t << 8) | p of [start, end) into two interleaved
    uint32 tables: no compare at all (the scalar path)."""
    cdef uint32_t* t0 = table
    cdef uint32_t* t1 = table + BYTE_TABLE
    cdef Py_ssize_t i = start
    while i + 2 <= end:
        t0[(<Py_ssize_t>y_true[i] << 8) | y_pred[i]] += 1
        t1[(<Py_ssize_t>y_true[i + 1] << 8) | y_pred[i + 1]] += 1
        i += 2
    if i < end:
        t0[(<Py_ssize_t>y_true[i] << 8) | y_pred[i]] += 1


cdef inline uint32_t take_copies(uint32_t* table, Py_ssize_t copies, Py_ssize_t j) noexcept nogil:
    """The sum of counter `j` over `copies` uint32 tables, zeroing it: in uint32, so that the
    copies may wrap as long as their sum is a whole count below 2**32."""
    cdef uint32_t total = 0
    cdef Py_ssize_t copy
    for copy in range(copies):
        total += table[copy * BYTE_TABLE + j]
        table[copy * BYTE_TABLE + j] = 0
    return total


cdef void flush_byte_table(uint32_t* table, Py_ssize_t copies, int64_t* total) noexcept nogil:
    """Add `copies` uint32 tables into the int64 `total` and zero them."""
    cdef Py_ssize_t j
    for j in range(BYTE_TABLE):
        total[j] += take_copies(table, copies, j)


cdef void count_bytes_flushed(int level, const uint8_t* y_true, const uint8_t* y_pred,
                              Py_ssize_t start, Py_ssize_t end, const uint8_t* ignore,
                              int n_ignore, Py_ssize_t flush_every, Py_ssize_t copies,
                              uint32_t* table, int64_t* total, Py_ssize_t* pending) noexcept nogil:
    """Count [start, end) into the uint32 `table`s, which already hold `pending[0]` pairs:
    when they hold `flush_every` pairs and more remain, they are added into the int64
    `total` and zeroed, so that no counter can overflow (`total` is only touched when more
    than `flush_every` pairs were counted in all). The SIMD loops may leave out pairs whose
    truth is one of the `n_ignore` `ignore` bytes (the fold drops those codes anyway)."""
    cdef Py_ssize_t chunk_end
    while start < end:
        if pending[0] == flush_every:
            flush_byte_table(table, copies, total)
            pending[0] = 0
        chunk_end = end if end - start <= flush_every - pending[0] else \
            start + flush_every - pending[0]
        if not fiou_count_bytes(level, y_true, y_pred, start, chunk_end, ignore, n_ignore,
                                table):
            count_bytes(y_true, y_pred, start, chunk_end, table)
        pending[0] += chunk_end - start
        start = chunk_end


# Per Python thread, the one-byte path's tables are kept between calls: fresh arrays of
# this size are mapped afresh by malloc, and faulting their pages in cost more than the
# counting itself below a few million pairs (383 us of fixed cost per call, measured).
cdef object _reusable = threading.local()


cdef object reusable_array(str name, Py_ssize_t size, dtype, bint zeroed=False):
    """A flat array of at least `size` items of `dtype` kept for this Python thread, one per
    `name`: its contents are whatever the last user left, zeros when first allocated if
    `zeroed`."""
    array = getattr(_reusable, name, None)
    if array is None or array.shape[0] < size:
        array = np.zeros(size, dtype=dtype) if zeroed else np.empty(size, dtype=dtype)
        setattr(_reusable, name, array)
    return array[:size]


def _byte_table_min_pairs():
    """Test hook: from how many pairs one-byte labels are counted into the byte tables."""
    return BYTE_TABLE_MIN_PAIRS


def _byte_tables_are_zero():
    """Test hook: whether this Python thread's byte tables are all zero between calls (or
    not allocated yet), as every call must leave them."""
    array = getattr(_reusable, "byte_tables", None)
    return array is None or not array.any()


cdef uint32_t[:, ::1] byte_tables(Py_ssize_t n_threads, Py_ssize_t copies):
    """This Python thread's uint32 tables of one-byte pair codes, `copies` per OpenMP thread,
    all zero: every call leaves them so (the fold zeroes each row it finds counted), which
    spares zeroing 512 KiB per call."""
    cdef Py_ssize_t table_stride = 2 * padded(copies * BYTE_TABLE // 2)
    return reusable_array("byte_tables", n_threads * table_stride, np.uint32,
                          zeroed=True).reshape(n_threads, table_stride)


cdef int64_t[:, ::1] flushed_byte_tables(Py_ssize_t n_threads, Py_ssize_t n):
    """Zeroed int64 tables the uint32 ones are flushed into, one per thread, when a call
    counts `n` pairs, more than a uint32 table may hold (else a dummy)."""
    if n <= byte_flush_interval:
        return np.zeros((1, 1), dtype=np.int64)
    return np.zeros((n_threads, padded(BYTE_TABLE)), dtype=np.int64)


cdef inline bint count_range_simd(int level, const label_t* t, const label_t* p,
                                  Py_ssize_t start, Py_ssize_t end, uint64_t n_classes,
                                  const label_t* ignore, Py_ssize_t n_ignore, int64_t* hist,
                                  int64_t* miss, int64_t* bad) noexcept nogil:
    """The run-aware SIMD loop for `label_t`; False when this machine has none."""
    return fiou_count_labels(level, sizeof(label_t), (<label_t>-1) < 0, t, p, start, end,
                             n_classes, ignore, n_ignore, hist, miss, bad)


cdef void sum_rows(acc_t* rows, Py_ssize_t n_rows, Py_ssize_t row_stride,
                   Py_ssize_t size, acc_t* out, int n_threads) noexcept nogil:
    """out[j] += sum over rows r of rows[r * row_stride + j], for j < size."""
    cdef Py_ssize_t j, r
    cdef acc_t total
    if n_threads > 1 and size >= 65536:
        for j in prange(size, num_threads=n_threads, schedule="static"):
            total = 0
            for r in range(n_rows):
                total = total + rows[r * row_stride + j]
            out[j] += total
    else:
        for r in range(n_rows):
            for j in range(size):
                out[j] += rows[r * row_stride + j]


cdef inline bint row_counted(const uint32_t* row) noexcept nogil:
    """Whether any of the 256 counters of `row` is not zero (a loop the compiler vectorises)."""
    cdef uint32_t any_count = 0
    cdef Py_ssize_t pb
    for pb in range(256):
        any_count |= row[pb]
    return any_count != 0


cdef void add_mapped_row(const int64_t* row, Py_ssize_t n_values, int64_t truth_class,
                         const int64_t* pred_classes, Py_ssize_t num_classes, int64_t* matrix,
                         int64_t* miss, int64_t* bad) noexcept nogil:
    """Add the counts ``row[v]`` of the pairs (one truth value, prediction value v) to the
    (C, C) `matrix`: `truth_class` is the truth value's class, negative when it is ignored
    (the row is dropped) and >= C when out of range (the row goes to ``bad[0]``);
    ``pred_classes[v]`` is v's class, outside [0, C) when out of range (``bad[1]`` and the
    truth class's `miss`)."""
    cdef Py_ssize_t v
    cdef int64_t pred_class, total = 0
    if truth_class < 0:
        return
    if truth_class >= num_classes:
        for v in range(n_values):
            total += row[v]
        bad[0] += total
        return
    for v in range(n_values):
        if row[v] == 0:
            continue
        pred_class = pred_classes[v]
        if 0 <= pred_class < num_classes:
            matrix[truth_class * num_classes + pred_class] += row[v]
        else:
            bad[1] += row[v]
            miss[truth_class] += row[v]


cdef void label_byte_classes(label_t sample, Py_ssize_t num_classes, const label_t* ignore,
                             Py_ssize_t n_ignore, int64_t* truth_classes,
                             int64_t* pred_classes) noexcept nogil:
    """The classes of the 256 one-byte labels of `sample`'s type (signed or not), as
    :func:`add_mapped_row` takes them: the label itself inside [0, C), -1 for an ignore
    value as truth, C (truth) or -1 (prediction) outside."""
    cdef Py_ssize_t b
    cdef label_t value
    cdef bint inside
    for b in range(256):
        value = <label_t>(<uint8_t>b)
        inside = 0 <= value < num_classes
        pred_classes[b] = value if inside else -1
        if is_ignored(value, ignore, n_ignore):
            truth_classes[b] = -1
        else:
            truth_classes[b] = value if inside else num_classes


cdef void fold_byte_tables(uint32_t* tables, Py_ssize_t n_tables, Py_ssize_t stride,
                           Py_ssize_t copies, const int64_t* rows, Py_ssize_t n_rows,
                           Py_ssize_t row_stride, const uint8_t* seen,
                           const int64_t* truth_classes, const int64_t* pred_classes,
                           Py_ssize_t num_classes, int64_t* matrix, int64_t* miss,
                           int64_t* bad) noexcept nogil:
    """Map the 65536-bin tables of one-byte pair codes (t << 8) | p through the byte
    classes (:func:`add_mapped_row`) into the (C, C) `matrix`: `n_tables` uint32 tables
    `stride` apart, each in `copies` copies, plus `n_rows` int64 tables (flushed counts)
    `row_stride` apart; the uint32 tables are left all zero. A truth byte whose uint32 and
    int64 rows are all zero is skipped after a vectorised check (label maps hold a few
    dozen of the 256 values), or at once when `seen` (NULL: unknown) says it never came."""
    cdef Py_ssize_t tb, pb, r, c
    cdef int64_t row[256]
    cdef const int64_t* flushed
    cdef bint counted
    for tb in range(256):
        if seen != NULL and not seen[tb]:
            continue
        counted = False
        for r in range(n_tables):
            for c in range(copies):
                counted = counted or row_counted(tables + r * stride + c * BYTE_TABLE + (tb << 8))
        for r in range(n_rows):
            flushed = rows + r * row_stride + (tb << 8)
            for pb in range(256):
                counted = counted or flushed[pb] != 0
        if not counted:
            continue
        for pb in range(256):
            row[pb] = 0
        for r in range(n_tables):
            for pb in range(256):
                row[pb] += take_copies(tables + r * stride, copies, (tb << 8) + pb)
        for r in range(n_rows):
            flushed = rows + r * row_stride + (tb << 8)
            for pb in range(256):
                row[pb] += flushed[pb]
        add_mapped_row(row, 256, truth_classes[tb], pred_classes, num_classes, matrix, miss, bad)


cdef tuple mapped_outputs(Py_ssize_t num_classes):
    """Zeroed outputs for :func:`add_mapped_row`: the (C, C) matrix, `miss` and the two bad
    counts."""
    return (np.zeros((num_classes, num_classes), dtype=np.int64),
            np.zeros(num_classes, dtype=np.int64), np.zeros(2, dtype=np.int64))


def fold_counts(const int64_t[:, ::1] counts, const int64_t[::1] truth_classes,
                const int64_t[::1] pred_classes, Py_ssize_t num_classes):
    """Map a (V, V) matrix of counted value pairs (V <= 256) through the value classes of
    :func:`add_mapped_row` (length >= V) into (C, C); returns what :func:`confusion_counts`
    returns."""
    cdef Py_ssize_t n_values = counts.shape[0], tb
    if counts.shape[1] != n_values or truth_classes.shape[0] < n_values or \
            pred_classes.shape[0] < n_values:
        raise ValueError(f"a ({counts.shape[0]}, {counts.shape[1]}) matrix of value pairs "
                         f"does not fit {truth_classes.shape[0]} and {pred_classes.shape[0]} classes")
    matrix, miss, bad = mapped_outputs(num_classes)
    cdef int64_t[:, ::1] matrix_v = matrix
    cdef int64_t[::1] miss_v = miss
    cdef int64_t[::1] bad_v = bad
    for tb in range(n_values):
        add_mapped_row(&counts[tb, 0], n_values, truth_classes[tb], &pred_classes[0],
                       num_classes, &matrix_v[0, 0], &miss_v[0], &bad_v[0])
    return matrix, miss, int(bad_v[0]), int(bad_v[1])


cdef void drop_ignored_rows(const label_t* ignore, Py_ssize_t n_ignore,
                            uint64_t n_classes, acc_t* matrix) noexcept nogil:
    """Zero the rows of ignore values inside [0, C): the fast loops counted them."""
    cdef Py_ssize_t k, j
    cdef uint64_t row
    for k in range(n_ignore):
        row = <uint64_t>ignore[k]
        if row < n_classes:
            for j in range(<Py_ssize_t>n_classes):
                matrix[row * n_classes + j] = 0


def confusion_counts(const label_t[::1] y_true, const label_t[::1] y_pred,
                     Py_ssize_t num_classes, const label_t[::1] ignore, int n_threads):
    """Unweighted counts (see the module docstring) with `n_threads` >= 1 threads."""
    cdef Py_ssize_t n = y_true.shape[0]
    cdef Py_ssize_t n_ignore = ignore.shape[0]
    cdef Py_ssize_t cc = num_classes * num_classes
    cdef uint64_t n_classes = <uint64_t>num_classes
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    miss = np.zeros(num_classes, dtype=np.int64)
    bad = np.zeros((n_threads, LINE), dtype=np.int64)
    if n == 0:
        return matrix, miss, 0, 0
    cdef int64_t[:, ::1] matrix_v = matrix
    cdef int64_t[::1] miss_v = miss
    cdef int64_t[:, ::1] bad_v = bad
    cdef const label_t* t_ptr = &y_true[0]
    cdef const label_t* p_ptr = &y_pred[0]
    cdef const label_t* ig_ptr = &ignore[0] if n_ignore > 0 else NULL
    cdef int64_t[:, ::1] scratch_v
    cdef int64_t* rows
    cdef int64_t* hist
    cdef int64_t* hist_miss
    cdef bint direct
    cdef int masked_ignores
    cdef Py_ssize_t n_rows
    cdef uint32_t[:, ::1] narrow_v
    cdef uint32_t* narrow_rows
    cdef Py_ssize_t stride, table_stride, copies, copy, copy_stride, tid, team, start, end
    cdef Py_ssize_t flush_every = byte_flush_interval, pending
    cdef int level = fiou_simd_level()
    cdef label_t sample = 0
    cdef int64_t truth_classes[256]
    cdef int64_t pred_classes[256]

    if (label_t is uint8_t or label_t is int8_t) and n >= BYTE_TABLE_MIN_PAIRS:
        copies = fiou_byte_tables(level)
        masked_ignores = <int>(n_ignore if n_ignore < FIOU_MASKED_IGNORES else FIOU_MASKED_IGNORES)
        narrow_v = byte_tables(n_threads, copies)
        narrow_rows = &narrow_v[0, 0]
        table_stride = narrow_v.shape[1]
        scratch_v = flushed_byte_tables(n_threads, n)
        rows = &scratch_v[0, 0]
        stride = scratch_v.shape[1] if n > flush_every else 0
        with nogil:
            with parallel(num_threads=n_threads):
                tid = omp_get_thread_num()
                team = omp_get_num_threads()
                start = n * tid // team
                end = n * (tid + 1) // team
                pending = 0
                count_bytes_flushed(level, <const uint8_t*>t_ptr, <const uint8_t*>p_ptr,
                                    start, end, <const uint8_t*>ig_ptr, masked_ignores,
                                    flush_every, copies, narrow_rows + tid * table_stride,
                                    rows + tid * stride, &pending)
            label_byte_classes(sample, num_classes, ig_ptr, n_ignore, truth_classes,
                               pred_classes)
            fold_byte_tables(narrow_rows, n_threads, table_stride, copies, rows,
                             n_threads if stride else 0, stride, NULL, truth_classes, pred_classes,
                             num_classes, &matrix_v[0, 0], &miss_v[0], &bad_v[0, 0])
    else:
        if level > 0:
            copies = 1
        else:
            copies = COPIES if COPIES * cc * 8 <= SMALL_TABLE_BYTES else 1
        copy_stride = cc if copies > 1 else 0
        stride = padded(copies * cc + num_classes)
        # with one histogram copy, thread 0 counts straight into `matrix` and `miss`; the
        # other threads zero their own scratch rows (in parallel, first touch)
        direct = copies == 1
        n_rows = n_threads - direct
        scratch = np.empty((n_rows if n_rows else 1, stride), dtype=np.int64)
        scratch_v = scratch
        rows = &scratch_v[0, 0]
        with nogil:
            with parallel(num_threads=n_threads):
                tid = omp_get_thread_num()
                team = omp_get_num_threads()
                start = n * tid // team
                end = n * (tid + 1) // team
                if direct and tid == 0:
                    hist = &matrix_v[0, 0]
                    hist_miss = &miss_v[0]
                else:
                    hist = rows + (tid - direct) * stride
                    hist_miss = hist + copies * cc
                    memset(hist, 0, stride * sizeof(int64_t))
                if not count_range_simd(level, t_ptr, p_ptr, start, end, n_classes, ig_ptr,
                                        n_ignore, hist, hist_miss, &bad_v[tid, 0]):
                    count_range(t_ptr, p_ptr, start, end, n_classes, ig_ptr, n_ignore,
                                hist, copy_stride, hist_miss, &bad_v[tid, 0])
            if n_rows:
                for copy in range(copies):
                    sum_rows(rows + copy * cc, n_rows, stride, cc, &matrix_v[0, 0], n_threads)
                sum_rows(rows + copies * cc, n_rows, stride, num_classes, &miss_v[0], 1)
            drop_ignored_rows(ig_ptr, n_ignore, n_classes, &matrix_v[0, 0])
    for tid in range(1, n_threads):
        bad_v[0, 0] += bad_v[tid, 0]
        bad_v[0, 1] += bad_v[tid, 1]
    return matrix, miss, int(bad_v[0, 0]), int(bad_v[0, 1])


cdef int png_rows_from(fiou_png_rows* rows, const uint8_t[::1] data, object inflater,
                       uint8_t* buffer) except -1:
    """Set up `rows` to read `data`: inflated data, or a zlib stream when `inflater` (a
    :class:`fastiou._png.StreamingInflater`) is given, inflated into `buffer`."""
    memset(rows, 0, sizeof(fiou_png_rows))
    if inflater is None:
        rows.data = &data[0]
        return 0
    rows.stream.next_in = &data[0]
    rows.stream.avail_in = <uint32_t>data.shape[0]
    rows.inflate = <fiou_zng_inflate><size_t>inflater.inflate
    rows.buffer = buffer
    if (<fiou_zng_init><size_t>inflater.init)(&rows.stream, 15) != 0:
        raise MemoryError("zlib-ng could not start inflating a PNG")
    return 0


def count_png_pairs(const uint8_t[::1] truth, const uint8_t[::1] pred,
                    Py_ssize_t height, Py_ssize_t width, const int64_t[::1] truth_classes,
                    const int64_t[::1] pred_classes, Py_ssize_t num_classes, inflater=None):
    """Unweighted (C, C) counts of two 8-bit, one-channel PNG images of `height` rows of
    `width` pixels, on one thread; each pixel value v counts as class ``truth_classes[v]``
    or ``pred_classes[v]`` (256 values each, as :func:`add_mapped_row` takes them: label
    maps and ignore values applied at once). `truth` and `pred` are the images' inflated,
    still filtered data; or, with `inflater` (:func:`fastiou._png.streaming_inflater`),
    their compressed image data, which is then inflated a few rows at a time: neither image
    is ever held whole (two inflated Cityscapes maps, 4 MiB, do not fit in L2).

    A few rows of each image are unfiltered into a small buffer and counted while in cache,
    each row from the row above it: the image's first row adds ``height`` to the code of
    each of its pairs, and row ``y`` then moves ``height - y`` from the code of the pair
    above to its own wherever the pair changed (about 1 % of a label map's pixels), so that
    every pair is counted once for each row down to the last (the uint32 counters may wrap
    on the way; they are whole counts again at the end). Bands of rows are counted this way
    between flushes into int64 when an image holds more pairs than a uint32 counter.
    Returns what :func:`confusion_counts` returns for the mapped pixels, or None when a
    row's filter byte is not 0..4 or a stream is corrupt, too short or too long (the caller
    then decodes the images the usual way, which says what is wrong).
    """
    cdef Py_ssize_t size = height * (width + 1)
    if height < 1 or width < 1 or (inflater is None and (truth.shape[0] != size or
                                                          pred.shape[0] != size)):
        raise ValueError(f"{truth.shape[0]} and {pred.shape[0]} filtered bytes do not both fit "
                         f"{height} rows of {width} pixels")
    if inflater is not None and (truth.shape[0] == 0 or pred.shape[0] == 0 or
                                 max(truth.shape[0], pred.shape[0]) >= 1 << 32):
        raise ValueError(f"{truth.shape[0]} and {pred.shape[0]} bytes of compressed data: "
                         f"some and fewer than 2**32 are needed")
    if truth_classes.shape[0] != 256 or pred_classes.shape[0] != 256:
        raise ValueError(f"the classes of the 256 byte values are needed, got "
                         f"{truth_classes.shape[0]} and {pred_classes.shape[0]}")
    cdef Py_ssize_t n = height * width
    cdef Py_ssize_t stretch = max(1, PNG_STRETCH_BYTES // width)
    # rows counted between flushes: a counter then holds at most band * width pairs
    cdef Py_ssize_t band = max(1, byte_flush_interval // width)
    cdef Py_ssize_t first, n_rows, r, y, band_start = 0, band_end = min(band, height)
    cdef int level = fiou_simd_level()
    cdef uint32_t[:, ::1] narrow_v = byte_tables(1, 2)
    cdef int64_t[:, ::1] flushed_v = flushed_byte_tables(1, n)
    # each image's buffer: the row above the stretch, then the stretch's rows; then, for
    # streams, each image's inflated stretch
    cdef Py_ssize_t inflated = stretch * (width + 1) if inflater is not None else 0
    cdef uint8_t[::1] rows_v = reusable_array("png_rows", 2 * (stretch + 1) * width + 2 * inflated + 64,
                                              np.uint8)
    cdef uint8_t* true_rows = &rows_v[0] + ((-<Py_ssize_t>&rows_v[0]) & 63)  # 64-byte aligned
    cdef uint8_t* pred_rows = true_rows + (stretch + 1) * width
    cdef fiou_png_rows truth_rows, pred_rows_in
    cdef const uint8_t* filtered_true
    cdef const uint8_t* filtered_pred
    cdef uint32_t* table = &narrow_v[0, 0]
    cdef uint8_t seen[256]  # the truth bytes counted: the fold looks at their rows only
    cdef bint corrupt = False
    matrix, miss, bad = mapped_outputs(num_classes)
    cdef int64_t[:, ::1] matrix_v = matrix
    cdef int64_t[::1] miss_v = miss
    cdef int64_t[::1] bad_v = bad
    memset(seen, 0, sizeof(seen))
    png_rows_from(&truth_rows, truth, inflater, pred_rows + (stretch + 1) * width)
    try:
        png_rows_from(&pred_rows_in, pred, inflater, pred_rows + (stretch + 1) * width + inflated)
    except MemoryError:
        (<fiou_zng_end><size_t>inflater.end)(&truth_rows.stream)
        raise
    with nogil:
        first = 0
        while first < height and not corrupt:
            n_rows = min(stretch, height - first)
            if first > 0:  # the last row of the previous stretch is the row above this one
                memcpy(true_rows, true_rows + stretch * width, width)
                memcpy(pred_rows, pred_rows + stretch * width, width)
            filtered_true = fiou_next_rows(&truth_rows, first, n_rows, width)
            filtered_pred = fiou_next_rows(&pred_rows_in, first, n_rows, width)
            if filtered_true == NULL or filtered_pred == NULL or \
                    unfilter_rows(filtered_true, true_rows + width, n_rows, width, 1,
                                  NULL if first == 0 else true_rows) >= 0 or \
                    unfilter_rows(filtered_pred, pred_rows + width, n_rows, width, 1,
                                  NULL if first == 0 else pred_rows) >= 0:
                corrupt = True
                break
            for r in range(1, n_rows + 1):
                y = first + r - 1
                if y == band_end:  # the band's counts are whole again: flush, start the next
                    flush_byte_table(table, 2, &flushed_v[0, 0])
                    band_start, band_end = y, min(y + band, height)
                if y == band_start:
                    fiou_count_row_weighted(true_rows + r * width, pred_rows + r * width, width,
                                            <uint32_t>(band_end - y), table, seen)
                else:
                    fiou_count_row_changes(level, true_rows + r * width, pred_rows + r * width,
                                           true_rows + (r - 1) * width,
                                           pred_rows + (r - 1) * width, width,
                                           <uint32_t>(band_end - y), table, seen)
            first += n_rows
        corrupt = corrupt or not fiou_rows_end(&truth_rows) or not fiou_rows_end(&pred_rows_in)
        if corrupt:  # leave the tables zero, as the fold would
            memset(table, 0, 2 * BYTE_TABLE * sizeof(uint32_t))
        else:
            fold_byte_tables(table, 1, narrow_v.shape[1], 2, &flushed_v[0, 0],
                             1 if n > byte_flush_interval else 0, flushed_v.shape[1], seen,
                             &truth_classes[0], &pred_classes[0], num_classes,
                             &matrix_v[0, 0], &miss_v[0], &bad_v[0])
    if inflater is not None:
        (<fiou_zng_end><size_t>inflater.end)(&truth_rows.stream)
        (<fiou_zng_end><size_t>inflater.end)(&pred_rows_in.stream)
    if corrupt:
        return None
    return matrix, miss, int(bad_v[0]), int(bad_v[1])


def weighted_confusion_counts(const label_t[::1] y_true, const label_t[::1] y_pred,
                              const double[::1] weights, Py_ssize_t num_classes,
                              const label_t[::1] ignore, int n_threads):
    """Weighted counts (float64 `matrix` and `miss`) with `n_threads` >= 1 threads."""
    cdef Py_ssize_t n = y_true.shape[0]
    cdef Py_ssize_t n_ignore = ignore.shape[0]
    cdef Py_ssize_t cc = num_classes * num_classes
    cdef uint64_t n_classes = <uint64_t>num_classes
    matrix = np.zeros((num_classes, num_classes), dtype=np.float64)
    miss = np.zeros(num_classes, dtype=np.float64)
    bad = np.zeros((n_threads, LINE), dtype=np.int64)
    if n == 0:
        return matrix, miss, 0, 0
    cdef double[:, ::1] matrix_v = matrix
    cdef double[::1] miss_v = miss
    cdef int64_t[:, ::1] bad_v = bad
    cdef const label_t* t_ptr = &y_true[0]
    cdef const label_t* p_ptr = &y_pred[0]
    cdef const double* w_ptr = &weights[0]
    cdef const label_t* ig_ptr = &ignore[0] if n_ignore > 0 else NULL
    cdef Py_ssize_t stride = padded(cc + num_classes)
    scratch = np.zeros((n_threads, stride), dtype=np.float64)
    cdef double[:, ::1] scratch_v = scratch
    cdef double* rows = &scratch_v[0, 0]
    cdef Py_ssize_t tid, team, start, end
    with nogil:
        with parallel(num_threads=n_threads):
            tid = omp_get_thread_num()
            team = omp_get_num_threads()
            start = n * tid // team
            end = n * (tid + 1) // team
            count_range_weighted(t_ptr, p_ptr, w_ptr, start, end, n_classes, ig_ptr,
                                 n_ignore, rows + tid * stride, rows + tid * stride + cc,
                                 &bad_v[tid, 0])
        sum_rows(rows, n_threads, stride, cc, &matrix_v[0, 0], n_threads)
        sum_rows(rows + cc, n_threads, stride, num_classes, &miss_v[0], 1)
        drop_ignored_rows(ig_ptr, n_ignore, n_classes, &matrix_v[0, 0])
    totals = bad.sum(axis=0)
    return matrix, miss, int(totals[0]), int(totals[1])


cdef void naive_loop(const label_t[::1] y_true, const label_t[::1] y_pred,
                     const label_t[::1] ignore, const double[::1] weights,
                     acc_t[:, ::1] matrix, acc_t[::1] miss, int64_t* bad) noexcept nogil:
    cdef Py_ssize_t i, k
    cdef uint64_t t, p, n_classes = <uint64_t>matrix.shape[0]
    cdef acc_t w = 1
    cdef bint ignored
    for i in range(y_true.shape[0]):
        if acc_t is double:
            w = weights[i]
        ignored = False
        for k in range(ignore.shape[0]):
            ignored = ignored or y_true[i] == ignore[k]
        if ignored:
            continue
        t = <uint64_t>y_true[i]
        p = <uint64_t>y_pred[i]
        if t >= n_classes:
            bad[0] += 1
        elif p >= n_classes:
            bad[1] += 1
            miss[t] += w
        else:
            matrix[t, p] += w


def naive_confusion_counts(const label_t[::1] y_true, const label_t[::1] y_pred,
                           Py_ssize_t num_classes, const label_t[::1] ignore, weights=None):
    """The simplest correct loop, serial: the oracle for the fast kernels above. Same
    outputs as `confusion_counts`, or as `weighted_confusion_counts` given `weights`."""
    cdef int64_t bad[2]
    bad[0] = bad[1] = 0
    if weights is None:
        matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
        miss = np.zeros(num_classes, dtype=np.int64)
        naive_loop[label_t, int64_t](y_true, y_pred, ignore, None, matrix, miss, bad)
    else:
        matrix = np.zeros((num_classes, num_classes), dtype=np.float64)
        miss = np.zeros(num_classes, dtype=np.float64)
        naive_loop[label_t, double](y_true, y_pred, ignore, weights, matrix, miss, bad)
    return matrix, miss, int(bad[0]), int(bad[1])
