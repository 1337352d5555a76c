/* fastiou_mask_words.h: the word-level helpers of fastiou._masks (declared in _masks.pxd):
   packing 64 bytes into a word, and the popcount of the AND of two packed masks. */
#ifndef FASTIOU_MASK_WORDS_H
#define FASTIOU_MASK_WORDS_H

#include <stddef.h>
#include <stdint.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* 64 bytes -> one word, bit k set when byte k is not 0. */
static inline uint64_t fastiou_pack64(const uint8_t* src) {
#if defined(__SSE2__)
    const __m128i zero = _mm_setzero_si128();
    uint64_t z0 = (uint64_t)(uint16_t)_mm_movemask_epi8(
        _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i*)src), zero));
    uint64_t z1 = (uint64_t)(uint16_t)_mm_movemask_epi8(
        _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i*)(src + 16)), zero));
    uint64_t z2 = (uint64_t)(uint16_t)_mm_movemask_epi8(
        _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i*)(src + 32)), zero));
    uint64_t z3 = (uint64_t)(uint16_t)_mm_movemask_epi8(
        _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i*)(src + 48)), zero));
    return ~(z0 | (z1 << 16) | (z2 << 32) | (z3 << 48));
#else
    uint64_t word = 0;
    for (int k = 0; k < 64; k++) word |= (uint64_t)(src[k] != 0) << k;
    return word;
#endif
}

static inline uint64_t fastiou_popcount_portable(uint64_t x) {
#if defined(__GNUC__) || defined(__clang__)
    return (uint64_t)__builtin_popcountll(x);
#else
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
    return (x * 0x0101010101010101ULL) >> 56;
#endif
}

static uint64_t fastiou_and_count_portable(const uint64_t* a, const uint64_t* b, ptrdiff_t n) {
    uint64_t c0 = 0, c1 = 0;
    ptrdiff_t k = 0;
    for (; k + 2 <= n; k += 2) {
        c0 += fastiou_popcount_portable(a[k] & b[k]);
        c1 += fastiou_popcount_portable(a[k + 1] & b[k + 1]);
    }
    for (; k < n; k++) c0 += fastiou_popcount_portable(a[k] & b[k]);
    return c0 + c1;
}

/* x86 without -mpopcnt compiles __builtin_popcountll to a slow bit trick: build a
   POPCNT variant and pick it at run time when the CPU has the instruction. */
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
__attribute__((target("popcnt")))
static uint64_t fastiou_and_count_popcnt(const uint64_t* a, const uint64_t* b, ptrdiff_t n) {
    uint64_t c0 = 0, c1 = 0, c2 = 0, c3 = 0;
    ptrdiff_t k = 0;
    for (; k + 4 <= n; k += 4) {
        c0 += (uint64_t)__builtin_popcountll(a[k] & b[k]);
        c1 += (uint64_t)__builtin_popcountll(a[k + 1] & b[k + 1]);
        c2 += (uint64_t)__builtin_popcountll(a[k + 2] & b[k + 2]);
        c3 += (uint64_t)__builtin_popcountll(a[k + 3] & b[k + 3]);
    }
    for (; k < n; k++) c0 += (uint64_t)__builtin_popcountll(a[k] & b[k]);
    return c0 + c1 + c2 + c3;
}
static int fastiou_cpu_has_popcnt(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("popcnt");
}
#else
static uint64_t fastiou_and_count_popcnt(const uint64_t* a, const uint64_t* b, ptrdiff_t n) {
    return fastiou_and_count_portable(a, b, n);
}
static int fastiou_cpu_has_popcnt(void) { return 0; }
#endif

#endif /* FASTIOU_MASK_WORDS_H */
