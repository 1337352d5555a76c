/* fastiou_label_kernels.h: the run-aware counting loops of fastiou._confusion, for labels of
   any integer type, into an int64 (C, C) histogram with range checks.

   Each call counts the pairs [start, end) in blocks of 64: a block is compared against its
   first pair, its last pair and, while many lanes remain, the lowest lane left; each match
   adds a popcount to one counter. A reference pair is used only when it lies in [0, C), so
   every pair matched to it does too; the other lanes go through the checked one-by-one path
   (FIOU_ONE_PAIR), which books pairs outside [0, C) as fastiou._confusion describes. After a
   block without runs the next blocks are counted lane by lane. */
#ifndef FASTIOU_LABEL_KERNELS_H
#define FASTIOU_LABEL_KERNELS_H

#include "fastiou_simd.h"

#ifdef FIOU_X86
/* pair k: counted when inside [0, C); else dropped when its truth is an ignore value, else
   booked as a bad truth (bad[0]) or a bad prediction (bad[1] and miss[truth]) */
#define FIOU_ONE_PAIR(T)                                                                      \
    do {                                                                                      \
        uint64_t tv = (uint64_t)t[k], pv = (uint64_t)p[k];                                     \
        if ((tv < n_classes) & (pv < n_classes)) hist[tv * n_classes + pv] += 1;              \
        else {                                                                                \
            int ignored = 0;                                                                  \
            for (ptrdiff_t g = 0; g < n_ignore; g++) ignored |= (t[k] == ignore[g]);           \
            if (!ignored) {                                                                   \
                if (tv >= n_classes) bad[0] += 1;                                             \
                else { bad[1] += 1; miss[tv] += 1; }                                          \
            }                                                                                 \
        }                                                                                     \
    } while (0)

#define FIOU_DEFINE_KERNEL(ISA, ATTR, NAME, T, W)                                             \
ATTR static inline void fiou_count_##NAME##_##ISA(const T* t, const T* p, ptrdiff_t start,     \
        ptrdiff_t end, uint64_t n_classes, const T* ignore, ptrdiff_t n_ignore,                 \
        int64_t* hist, int64_t* miss, int64_t* bad) {                                         \
    ptrdiff_t i = start, k, g, plain_blocks = 0;                                               \
    for (; i + 64 <= end; i += 64) {                                                          \
        uint64_t rest = ~(uint64_t)0, m, tv, pv;                                              \
        for (k = 0; k < (ptrdiff_t)sizeof(T); k++) {  /* one line per byte of T */            \
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
static inline int fiou_count_##NAME(int level, const T* t, const T* p, ptrdiff_t start,        \
        ptrdiff_t end, uint64_t n_classes, const T* ignore, ptrdiff_t n_ignore,                 \
        int64_t* hist, int64_t* miss, int64_t* bad) {                                         \
    if (level >= 2) fiou_count_##NAME##_avx512(t, p, start, end, n_classes, ignore, n_ignore, \
                                               hist, miss, bad);                              \
    else if (level >= 1) fiou_count_##NAME##_avx2(t, p, start, end, n_classes, ignore,        \
                                                  n_ignore, hist, miss, bad);                 \
    else return 0;                                                                            \
    return 1;                                                                                 \
}
FIOU_DEFINE_TYPE(u8, uint8_t, 8)
FIOU_DEFINE_TYPE(i8, int8_t, 8)
FIOU_DEFINE_TYPE(u16, uint16_t, 16)
FIOU_DEFINE_TYPE(i16, int16_t, 16)
FIOU_DEFINE_TYPE(u32, uint32_t, 32)
FIOU_DEFINE_TYPE(i32, int32_t, 32)
FIOU_DEFINE_TYPE(u64, uint64_t, 64)
FIOU_DEFINE_TYPE(i64, int64_t, 64)
#endif /* FIOU_X86 */

/* The run-aware loop for labels of `size` bytes, signed or not, at SIMD `level`; returns 0
   when this machine or compiler has none (the caller then runs its scalar loop). */
static inline int fiou_count_labels(int level, int size, int is_signed, const void* t,
        const void* p, ptrdiff_t start, ptrdiff_t end, uint64_t n_classes, const void* ignore,
        ptrdiff_t n_ignore, int64_t* hist, int64_t* miss, int64_t* bad) {
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
#else
    (void)level; (void)size; (void)is_signed; (void)t; (void)p; (void)start; (void)end;
    (void)n_classes; (void)ignore; (void)n_ignore; (void)hist; (void)miss; (void)bad;
#endif
    return 0;
}

#endif /* FASTIOU_LABEL_KERNELS_H */
