/* fastiou_simd.h: what the run-aware counting loops share (fastiou_label_kernels.h,
   fastiou_byte_kernels.h, fastiou_png_rows.h): the x86-64 target attributes, the CPU check,
   64-lane compares and the compress of 16-bit pair codes, and the tuning constants.

   The loops are compiled for AVX2 and AVX-512 with GCC/Clang target attributes and picked at
   run time (fastiou._simd owns the level: a kernel takes it as its `level` argument).
   Elsewhere (another CPU family or compiler) FIOU_X86 is not defined, no SIMD loop exists
   and fiou_detect_simd() says 0: the Cython scalar loops run instead. */
#ifndef FASTIOU_SIMD_H
#define FASTIOU_SIMD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#define FIOU_X86 1
#include <immintrin.h>
#define FIOU_AVX2 __attribute__((target("avx2,bmi,popcnt")))
#define FIOU_AVX512 __attribute__((target("avx512f,avx512bw,avx2,bmi,popcnt")))
#define FIOU_AVX512_VBMI2 __attribute__((target("avx512f,avx512bw,avx512vbmi2,avx2,bmi,popcnt")))
#endif

/* after the first and last pair of a block, this many unmatched lanes are taken as a
   sign of another run: one of them is tried as one more reference pair */
#define FIOU_RUN_GUESS 12
/* the further reference pairs of a block: each lane still left (`rest`) whose next lane is
   left too and holds the same pair (bit k of `repeats`: lanes k and k + 1 are equal),
   lowest first, while at least FIOU_RUN_GUESS lanes are left. A lone wrong pair is never
   one (taking the lowest lane left instead used to end the search there and leave a whole
   run to the one-by-one path), and each reference takes at least two lanes, so the loop
   ends. The body may `continue` past a start it cannot use. */
#define FIOU_FOR_EACH_RUN_START(starts, rest, repeats)                                         \
    for ((starts) = (rest) & (repeats) & ((rest) >> 1);                                        \
         (starts) && __builtin_popcountll(rest) >= FIOU_RUN_GUESS;                             \
         (starts) &= ((starts) - 1) & (rest) & (repeats) & ((rest) >> 1))
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
/* histograms larger than this (bytes) miss the cache on most single pairs: their queued
   codes are added FIOU_QUEUE_FAR at a time, with prefetches FIOU_QUEUE_AHEAD codes ahead;
   smaller ones FIOU_QUEUE at a time. The AVX2 loop of 8- and 16-bit labels queues only
   codes for such histograms (it adds the others one by one as it meets them) */
#define FIOU_QUEUE_TABLE_BYTES (1 << 19)
/* the keyed loops treat histograms past L1 so (session 13): at 80 and 150 classes, int32, 2
   threads, AVX-512 took 0.71-0.80 the time of batches of 256 codes without asking ahead, and
   the AVX2 keyed loop 0.87-0.95 that of the label-width AVX2 loop (1.16-1.28 without) */
#define FIOU_KEYED_FAR_BYTES (1 << 15)
#define FIOU_QUEUE 256
#define FIOU_QUEUE_FAR 4096
/* 128 rather than 32: 0.90-0.93 the time at 1000 classes (uint16 tables), 0.90 at 600,
   0.94 for int64 labels, 0.89 on the AVX2 loop (16x1024x1024, 2 threads, tools/ab_kernel.py);
   64 gave 0.97-1.00, 256 and 512 0.88-0.96 */
#define FIOU_QUEUE_AHEAD 128
/* int64 matrices larger than this (bytes) are counted into uint16 tables on several threads
   (fastiou_label_kernels.h): 2 threads, 16x1024x1024 int32 pairs with 10 % noise, uint16
   against int64 tables took 1.03-1.09 the time at 300-600 classes (int64 tables of 0.7-2.9
   MiB), 1.02 at 700 (3.7 MiB), 0.85 at 850 (5.5 MiB), 0.73-0.76 at 1000 (7.6 MiB) */
#define FIOU_NARROW_TABLE_BYTES (1 << 22)

/* How far ahead (bytes) the keyed loops (fastiou_label_kernels.h) ask for their labels: Intel's
   L2 streamer stops at each 4 KiB page and restarts behind the loads, so on Intel CPUs they
   ask for the lines FIOU_PREFETCH_BYTES ahead themselves: on a Xeon (Emerald Rapids), 2 threads,
   16x1024x1024 pairs with 10 % noise, that took 0.74-0.88 the time (int32 19-1000 classes,
   int64 19 and 1000, AVX2 and AVX-512), 0.99 at uint16 100 classes (session 14). On Zen 4
   asking ahead cost time (prefetchnta 1.01-1.08 at int32 600-1000 classes in session 11;
   8-32 KiB ahead 1.15-1.21 at int64 19 classes in session 13), so other CPUs leave the labels
   to the hardware. */
static inline int fiou_detect_label_prefetch(void) {
#ifdef FIOU_X86
    __builtin_cpu_init();
    if (__builtin_cpu_is("intel")) return FIOU_PREFETCH_BYTES;
#endif
    return 0;
}

/* The SIMD level this CPU runs: 0 scalar only, 1 AVX2, 2 AVX-512 (F + BW), 3 AVX-512
   (F + BW + VBMI2). */
static inline int fiou_detect_simd(void) {
#ifdef FIOU_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw"))
        return __builtin_cpu_supports("avx512vbmi2") ? 3 : 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi")
            && __builtin_cpu_supports("popcnt")) return 1;
#endif
    return 0;
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
/* fiou_match64_avx2_W(ptr, other, v): bit k set when the k-th W-bit element at ptr equals
   the k-th at `other` or, when `other` is NULL (a constant, folded away), equals v; 64
   elements. eq64_avx2_W(ptr, v) compares with v; next64_avx2_W(ptr) sets bit k when
   elements k and k + 1 are equal (it reads 65 elements). */
#define FIOU_MATCH_OPERAND(k)                                                                  \
    (other ? _mm256_loadu_si256((const __m256i*)other + (k)) : b)
FIOU_AVX2 static inline __attribute__((always_inline)) uint64_t fiou_match64_avx2_8(
        const void* ptr, const void* other, uint64_t v) {
    const __m256i* x = (const __m256i*)ptr;
    __m256i b = _mm256_set1_epi8((char)v);
    uint32_t lo = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_loadu_si256(x),
                                                                   FIOU_MATCH_OPERAND(0)));
    uint32_t hi = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_loadu_si256(x + 1),
                                                                   FIOU_MATCH_OPERAND(1)));
    return (uint64_t)lo | ((uint64_t)hi << 32);
}
FIOU_AVX2 static inline __attribute__((always_inline)) uint64_t fiou_match64_avx2_16(
        const void* ptr, const void* other, uint64_t v) {
    const __m256i* x = (const __m256i*)ptr;
    __m256i b = _mm256_set1_epi16((short)v);
    uint64_t m = 0;
    for (int k = 0; k < 2; k++) {
        /* two compares of 16 lanes -> 32 bytes, lane order restored across 128-bit halves */
        __m256i packed = _mm256_packs_epi16(
            _mm256_cmpeq_epi16(_mm256_loadu_si256(x + 2 * k), FIOU_MATCH_OPERAND(2 * k)),
            _mm256_cmpeq_epi16(_mm256_loadu_si256(x + 2 * k + 1), FIOU_MATCH_OPERAND(2 * k + 1)));
        packed = _mm256_permute4x64_epi64(packed, 0xD8);
        m |= (uint64_t)(uint32_t)_mm256_movemask_epi8(packed) << (32 * k);
    }
    return m;
}
FIOU_AVX2 static inline __attribute__((always_inline)) uint64_t fiou_match64_avx2_32(
        const void* ptr, const void* other, uint64_t v) {
    const __m256i* x = (const __m256i*)ptr;
    __m256i b = _mm256_set1_epi32((int)v);
    uint64_t m = 0;
    for (int k = 0; k < 8; k++)
        m |= (uint64_t)_mm256_movemask_ps(_mm256_castsi256_ps(
                 _mm256_cmpeq_epi32(_mm256_loadu_si256(x + k), FIOU_MATCH_OPERAND(k)))) << (8 * k);
    return m;
}
FIOU_AVX2 static inline __attribute__((always_inline)) uint64_t fiou_match64_avx2_64(
        const void* ptr, const void* other, uint64_t v) {
    const __m256i* x = (const __m256i*)ptr;
    __m256i b = _mm256_set1_epi64x((long long)v);
    uint64_t m = 0;
    for (int k = 0; k < 16; k++)
        m |= (uint64_t)_mm256_movemask_pd(_mm256_castsi256_pd(
                 _mm256_cmpeq_epi64(_mm256_loadu_si256(x + k), FIOU_MATCH_OPERAND(k)))) << (4 * k);
    return m;
}
#undef FIOU_MATCH_OPERAND
#define FIOU_DEFINE_MATCHES(W)                                                                 \
FIOU_AVX2 static inline uint64_t eq64_avx2_##W(const void* ptr, uint64_t v) {                  \
    return fiou_match64_avx2_##W(ptr, NULL, v);                                                \
}                                                                                              \
FIOU_AVX2 static inline uint64_t next64_avx2_##W(const void* ptr) {                            \
    return fiou_match64_avx2_##W(ptr, (const char*)ptr + (W) / 8, 0);                          \
}
FIOU_DEFINE_MATCHES(8)
FIOU_DEFINE_MATCHES(16)
FIOU_DEFINE_MATCHES(32)
FIOU_DEFINE_MATCHES(64)
#undef FIOU_DEFINE_MATCHES

/* fiou_append_ISA(t, p, lanes, out): write the 16-bit codes (t << 8) | p of the 64 pairs at
   t, p whose bit is set in `lanes` to out[0..popcount), in lane order (out has room for 64):
   VBMI2 compresses 32 16-bit codes per instruction, AVX-512 F 16 32-bit codes. */
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
#endif /* FIOU_X86 */

#endif /* FASTIOU_SIMD_H */
