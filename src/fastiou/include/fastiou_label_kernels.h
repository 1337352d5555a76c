/* fastiou_label_kernels.h: the run-aware counting loops of fastiou._confusion, for labels of
   any integer type, into an int64 (C, C) histogram (or, for many classes on several
   threads, a uint16 one of the thread's own: narrow tables, below) with range checks.

   Each call counts the pairs [start, end) in blocks of 64: a block is compared against its
   first pair, its last pair and, while many lanes remain, the starts of further runs
   (FIOU_FOR_EACH_RUN_START); each match adds a popcount to one counter. A reference pair
   is used only when it lies in [0, C), so every pair matched to it does too. Pairs outside
   [0, C) go through the checked one-by-one path (FIOU_ONE_PAIR), which books them as
   fastiou._confusion describes. After a block without runs the next blocks skip the
   reference pairs. The keyed loops (AVX-512; AVX2 for 32- and 64-bit labels) turn the block
   into codes t * C + p first and queue the lanes left over as codes; the AVX2 loop of 8- and
   16-bit labels compares them at their own width and counts the lanes left over one by one. */
#ifndef FASTIOU_LABEL_KERNELS_H
#define FASTIOU_LABEL_KERNELS_H

#include "fastiou_simd.h"

#ifdef FIOU_X86
/* the most classes whose pair codes t * C + p fit 32 bits (the queued codes) */
#define FIOU_KEYED_MAX_CLASSES 65535

/* pair k: counted when inside [0, C); else dropped when its truth is an ignore value, else
   booked as a bad truth (bad[0]) or a bad prediction (bad[1] and miss[truth]) */
#define FIOU_ONE_PAIR(T, ADD)                                                                  \
    do {                                                                                       \
        uint64_t tv = (uint64_t)t[k], pv = (uint64_t)p[k];                                     \
        if ((tv < n_classes) & (pv < n_classes)) ADD(tv * n_classes + pv);                     \
        else {                                                                                 \
            int ignored = 0;                                                                   \
            for (ptrdiff_t g = 0; g < n_ignore; g++) ignored |= (t[k] == ignore[g]);           \
            if (!ignored) {                                                                    \
                if (tv >= n_classes) bad[0] += 1;                                              \
                else { bad[1] += 1; miss[tv] += 1; }                                           \
            }                                                                                  \
        }                                                                                      \
    } while (0)

/* one more pair of code `code` (AVX2 loop): added at once or, while the histogram is too
   large to stay in cache (C <= FIOU_KEYED_MAX_CLASSES), queued, the queue added in batches
   by fiou_add_queued, so that the cache misses overlap */
#define FIOU_ADD_QUEUED(code)                                                                  \
    do {                                                                                       \
        if (far) {                                                                             \
            queue[n_queued++] = (uint32_t)(code);                                              \
            if (n_queued == FIOU_QUEUE_FAR) {                                                  \
                fiou_add_queued(hist, narrow, queue, n_queued, far);                           \
                n_queued = 0;                                                                  \
            }                                                                                  \
        } else fiou_add_one(hist, narrow, (code));                                             \
    } while (0)

/* Narrow tables: with several threads and an int64 matrix of more than FIOU_NARROW_TABLE_BYTES,
   the SIMD loops (AVX-512 and, since session 11, AVX2: 0.65-0.79 the time at 750-3688
   classes) count into a uint16 table of their thread's own (a quarter of an int64 table's
   bytes, so more of it stays in cache and less is zeroed and added up). A counter
   that would pass 65535 is emptied into the thread's overflow log, `hist` then: hist[0]
   entries so far, entry k at hist[1 + 2k] (the code) and hist[2 + 2k] (its count). Each
   entry takes more than 65535 of the thread's pairs, so a log of 2 * (pairs / 65536) + 1
   slots never fills; the caller adds the tables and the logs up afterwards, and the shared
   result is neither zeroed first nor written while the threads count.
   fiou_uses_narrow_tables (below) says when. */

/* `amount` more pairs of code `code`: into the narrow table when there is one, else hist */
static inline void fiou_add_count(int64_t* hist, uint16_t* narrow, uint64_t code,
                                  uint32_t amount) {
    if (narrow) {
        uint32_t total = (uint32_t)narrow[code] + amount;
        if (__builtin_expect(total > 0xFFFF, 0)) {
            int64_t entry = hist[0]++;
            hist[1 + 2 * entry] = (int64_t)code;
            hist[2 + 2 * entry] = (int64_t)total;
            total = 0;
        }
        narrow[code] = (uint16_t)total;
    } else hist[code] += amount;
}

/* one more pair of code `code`: fiou_add_count(hist, narrow, code, 1) in fewer steps (a
   narrow counter is incremented in place and logged when it wraps to 0, 2-4 % of the
   1000-class time with the bench's noise) */
static inline void fiou_add_one(int64_t* hist, uint16_t* narrow, uint64_t code) {
    if (narrow) {
        if (__builtin_expect(++narrow[code] == 0, 0)) {
            int64_t entry = hist[0]++;
            hist[1 + 2 * entry] = (int64_t)code;
            hist[2 + 2 * entry] = 65536;
        }
    } else hist[code] += 1;
}

/* NAME(hist, narrow, queue, n, far): one pair of each code queue[j], j < n, for queues of
   32-bit codes (fiou_add_queued) and of 16-bit ones (fiou_add_short_codes, the keyed loop's
   short codes below); with `far` (a table past L1) each counter's line is asked for
   FIOU_QUEUE_AHEAD codes before it is added to */
#define FIOU_DEFINE_ADD_QUEUED(NAME, Q)                                                        \
static inline void NAME(int64_t* hist, uint16_t* narrow, const Q* queue, ptrdiff_t n,          \
                        int far) {                                                             \
    ptrdiff_t j = 0;                                                                           \
    if (far)                                                                                   \
        for (; j + FIOU_QUEUE_AHEAD < n; j++) {                                                \
            Q ahead = queue[j + FIOU_QUEUE_AHEAD];                                             \
            __builtin_prefetch(narrow ? (const void*)(narrow + ahead)                          \
                                      : (const void*)(hist + ahead), 1);                       \
            fiou_add_one(hist, narrow, queue[j]);                                              \
        }                                                                                      \
    for (; j < n; j++) fiou_add_one(hist, narrow, queue[j]);                                   \
}
FIOU_DEFINE_ADD_QUEUED(fiou_add_queued, uint32_t)
FIOU_DEFINE_ADD_QUEUED(fiou_add_short_codes, uint16_t)

/* the AVX2 loop of 8- and 16-bit labels; like the keyed one below it is compiled twice, with
   narrow tables and without (`narrow` NULL: an int64 `hist`, no test of `narrow` per pair) */
#define FIOU_DEFINE_KERNEL(ISA, ATTR, NAME, T, W)                                              \
ATTR static inline __attribute__((always_inline)) void fiou_count_##NAME##_##ISA##_as(         \
        const T* t, const T* p, ptrdiff_t start, ptrdiff_t end, uint64_t n_classes,            \
        const T* ignore, ptrdiff_t n_ignore, int64_t* hist, uint16_t* narrow, int64_t* miss,   \
        int64_t* bad) {                                                                        \
    ptrdiff_t i = start, k, g, plain_blocks = 0, n_queued = 0;                                 \
    uint32_t queue[FIOU_QUEUE_FAR];                                                            \
    const int far = n_classes <= FIOU_KEYED_MAX_CLASSES                                        \
                    && n_classes * n_classes * sizeof(int64_t) > FIOU_QUEUE_TABLE_BYTES;       \
    for (; i + 64 <= end; i += 64) {                                                           \
        uint64_t rest = ~(uint64_t)0, m, tv, pv, starts;                                       \
        for (k = 0; k < (ptrdiff_t)sizeof(T); k++) {  /* one line per byte of T */             \
            __builtin_prefetch((const char*)(t + i) + FIOU_PREFETCH_BYTES + 64 * k);           \
            __builtin_prefetch((const char*)(p + i) + FIOU_PREFETCH_BYTES + 64 * k);           \
        }                                                                                      \
        if (plain_blocks > 0) {                                                                \
            plain_blocks--;                                                                    \
            for (k = i; k < i + 64; k++) FIOU_ONE_PAIR(T, FIOU_ADD_QUEUED);                    \
            continue;                                                                          \
        }                                                                                      \
        for (g = 0; g < n_ignore && g < FIOU_MASKED_IGNORES; g++)                              \
            rest &= ~eq64_##ISA##_##W(t + i, (uint64_t)ignore[g]);                             \
        tv = (uint64_t)t[i]; pv = (uint64_t)p[i];                                              \
        if ((tv < n_classes) & (pv < n_classes)) {                                             \
            m = eq64_##ISA##_##W(t + i, (uint64_t)t[i]) & eq64_##ISA##_##W(p + i, (uint64_t)p[i]) \
              & rest;                                                                          \
            rest &= ~m;                                                                        \
            fiou_add_count(hist, narrow, tv * n_classes + pv,                                  \
                           (uint32_t)__builtin_popcountll(m));                                 \
        }                                                                                      \
        tv = (uint64_t)t[i + 63]; pv = (uint64_t)p[i + 63];                                    \
        if ((rest >> 63) & (tv < n_classes) & (pv < n_classes)) {                              \
            m = eq64_##ISA##_##W(t + i, (uint64_t)t[i + 63])                                   \
              & eq64_##ISA##_##W(p + i, (uint64_t)p[i + 63]) & rest;                           \
            rest &= ~m;                                                                        \
            fiou_add_count(hist, narrow, tv * n_classes + pv,                                  \
                           (uint32_t)__builtin_popcountll(m));                                 \
        }                                                                                      \
        /* more references where a lane and the next hold the same pair (not past the end:  \
           the compare reads one pair beyond the block) */                                     \
        if (__builtin_popcountll(rest) >= FIOU_RUN_GUESS && i + 64 < end) {                    \
            const uint64_t repeats = next64_##ISA##_##W(t + i) & next64_##ISA##_##W(p + i);    \
            FIOU_FOR_EACH_RUN_START(starts, rest, repeats) {                                   \
                k = i + __builtin_ctzll(starts);                                               \
                tv = (uint64_t)t[k]; pv = (uint64_t)p[k];                                      \
                if (!((tv < n_classes) & (pv < n_classes))) continue;                          \
                m = eq64_##ISA##_##W(t + i, tv) & eq64_##ISA##_##W(p + i, pv) & rest;          \
                rest &= ~m;                                                                    \
                fiou_add_count(hist, narrow, tv * n_classes + pv,                              \
                               (uint32_t)__builtin_popcountll(m));                             \
            }                                                                                  \
        }                                                                                      \
        if (__builtin_popcountll(rest) > FIOU_FEW_RUNS) plain_blocks = FIOU_PLAIN_BLOCKS;      \
        while (rest) {                                                                         \
            k = i + __builtin_ctzll(rest);                                                     \
            rest &= rest - 1;                                                                  \
            FIOU_ONE_PAIR(T, FIOU_ADD_QUEUED);                                                 \
        }                                                                                      \
    }                                                                                          \
    for (k = i; k < end; k++) FIOU_ONE_PAIR(T, FIOU_ADD_QUEUED);                               \
    fiou_add_queued(hist, narrow, queue, n_queued, far);                                       \
}                                                                                              \
ATTR static inline void fiou_count_##NAME##_##ISA(const T* t, const T* p, ptrdiff_t start,     \
        ptrdiff_t end, uint64_t n_classes, const T* ignore, ptrdiff_t n_ignore,                \
        int64_t* hist, uint16_t* narrow, int64_t* miss, int64_t* bad, ptrdiff_t ahead) {       \
    (void)ahead;  /* this loop asks for its labels ahead on every CPU */                       \
    if (W > 8 && narrow) fiou_count_##NAME##_##ISA##_as(t, p, start, end, n_classes, ignore,   \
                                                        n_ignore, hist, narrow, miss, bad);    \
    else fiou_count_##NAME##_##ISA##_as(t, p, start, end, n_classes, ignore, n_ignore, hist,   \
                                        NULL, miss, bad);                                      \
}

/* The keyed loop, C <= FIOU_KEYED_MAX_CLASSES (AVX-512; since session 13 also AVX2 for 32-
   and 64-bit labels, at int64 19 classes 0.64-0.81 the time of the label-width AVX2 loop): each
   block's 64 pairs are first turned into 32-bit codes t * C + p, 16 lanes to a register (AVX2:
   8), with a mask of the lanes whose truth and
   prediction both lie in [0, C) (compared at the labels' own width, so no wide label passes
   for a small one). Reference pairs are then matched with one compare per 16 lanes whatever
   the label type, and the lanes left over are not visited one by one: their codes t * C + p
   are compressed into a queue, which fiou_add_queued adds in batches. Only lanes outside
   [0, C) (ignored or bad) take the one-by-one path. On Intel CPUs the loop asks for each
   block's labels `ahead` bytes ahead (fiou_detect_label_prefetch: 0.74-0.88 the time on a
   Xeon); elsewhere they are left to the hardware prefetchers (on Zen 4 asking ahead as data
   read once, prefetchnta, took 1.01-1.08 the time at 600 and 1000 classes, session 11). */

/* fiou_lanes16_NAME(x, top): 16 labels at x as 32-bit lanes (the low 32 bits of wider
   labels), their largest value as unsigned (at the labels' own width) kept in *top;
   fiou_below_NAME(top, limit64, limit32): whether every label seen is below C (given
   broadcast at 64 and 32 bits: negative labels are huge unsigned); fiou_inside16_NAME(x,
   limit64, limit32): the mask of the 16 labels at x that are in [0, C) */
#define FIOU_DEFINE_LANES16(NAME, T, LOAD)                                                     \
FIOU_AVX512 static inline __m512i fiou_lanes16_##NAME(const T* x, __m512i* top) {              \
    __m512i lanes = LOAD;                                                                      \
    *top = _mm512_max_epu32(*top, lanes);                                                      \
    return lanes;                                                                              \
}                                                                                              \
FIOU_AVX512 static inline int fiou_below_##NAME(__m512i top, __m512i limit64,                  \
                                                __m512i limit32) {                             \
    (void)limit64;                                                                             \
    return _mm512_cmpge_epu32_mask(top, limit32) == 0;                                         \
}                                                                                              \
FIOU_AVX512 static inline __mmask16 fiou_inside16_##NAME(const T* x, __m512i limit64,          \
                                                        __m512i limit32) {                     \
    (void)limit64;                                                                             \
    return _mm512_cmplt_epu32_mask(LOAD, limit32);                                             \
}
FIOU_DEFINE_LANES16(u8, uint8_t, _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i*)x)))
FIOU_DEFINE_LANES16(i8, int8_t, _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i*)x)))
FIOU_DEFINE_LANES16(u16, uint16_t, _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i*)x)))
FIOU_DEFINE_LANES16(i16, int16_t, _mm512_cvtepi16_epi32(_mm256_loadu_si256((const __m256i*)x)))
FIOU_DEFINE_LANES16(u32, uint32_t, _mm512_loadu_si512(x))
FIOU_DEFINE_LANES16(i32, int32_t, _mm512_loadu_si512(x))
#define FIOU_DEFINE_LANES16_WIDE(NAME, T)                                                      \
FIOU_AVX512 static inline __m512i fiou_lanes16_##NAME(const T* x, __m512i* top) {              \
    __m512i lo = _mm512_loadu_si512(x), hi = _mm512_loadu_si512(x + 8);                        \
    *top = _mm512_max_epu64(*top, _mm512_max_epu64(lo, hi));                                   \
    /* the low halves (even 32-bit lanes) of both, in one permute */                           \
    return _mm512_permutex2var_epi32(lo, _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18,  \
                                                           20, 22, 24, 26, 28, 30), hi);       \
}                                                                                              \
FIOU_AVX512 static inline int fiou_below_##NAME(__m512i top, __m512i limit64,                  \
                                                __m512i limit32) {                             \
    (void)limit32;                                                                             \
    return _mm512_cmpge_epu64_mask(top, limit64) == 0;                                         \
}                                                                                              \
FIOU_AVX512 static inline __mmask16 fiou_inside16_##NAME(const T* x, __m512i limit64,          \
                                                        __m512i limit32) {                     \
    (void)limit32;                                                                             \
    return (__mmask16)(_mm512_cmplt_epu64_mask(_mm512_loadu_si512(x), limit64)                 \
                       | ((unsigned)_mm512_cmplt_epu64_mask(_mm512_loadu_si512(x + 8),         \
                                                            limit64) << 8));                   \
}
FIOU_DEFINE_LANES16_WIDE(u64, uint64_t)
FIOU_DEFINE_LANES16_WIDE(i64, int64_t)

/* The block helpers each copy of the keyed loop calls, for its SIMD instruction set ISA
   (avx512: 16 lanes to a register, avx2: 8) and label type NAME:
   fiou_codes_ISA_NAME(t, p, C, codes): the 64 pairs' codes t * C + p in codes[] (lane k of
   the block in bit k's place), and whether all 128 labels lie in [0, C);
   fiou_inside64_ISA_NAME(t, p, C): the mask of the pairs whose labels both lie in [0, C). */
#define FIOU_DEFINE_BLOCK_AVX512(NAME, T)                                                      \
FIOU_AVX512 static inline int fiou_codes_avx512_##NAME(const T* t, const T* p,                 \
                                                       uint64_t n_classes, __m512i* codes) {   \
    const __m512i limit64 = _mm512_set1_epi64((long long)n_classes);                           \
    const __m512i limit32 = _mm512_set1_epi32((int)n_classes);                                 \
    __m512i top = _mm512_setzero_si512();                                                      \
    for (int h = 0; h < 4; h++) {                                                              \
        __m512i tv = fiou_lanes16_##NAME(t + 16 * h, &top);                                    \
        __m512i pv = fiou_lanes16_##NAME(p + 16 * h, &top);                                    \
        codes[h] = _mm512_add_epi32(_mm512_mullo_epi32(tv, limit32), pv);                      \
    }                                                                                          \
    return fiou_below_##NAME(top, limit64, limit32);                                           \
}                                                                                              \
FIOU_AVX512 static inline uint64_t fiou_inside64_avx512_##NAME(const T* t, const T* p,         \
                                                                uint64_t n_classes) {          \
    const __m512i limit64 = _mm512_set1_epi64((long long)n_classes);                           \
    const __m512i limit32 = _mm512_set1_epi32((int)n_classes);                                 \
    uint64_t inside = 0;                                                                       \
    for (int h = 0; h < 4; h++)                                                                \
        inside |= (uint64_t)(fiou_inside16_##NAME(t + 16 * h, limit64, limit32)                \
                             & fiou_inside16_##NAME(p + 16 * h, limit64, limit32)) << (16 * h); \
    return inside;                                                                             \
}
FIOU_DEFINE_BLOCK_AVX512(u8, uint8_t)
FIOU_DEFINE_BLOCK_AVX512(i8, int8_t)
FIOU_DEFINE_BLOCK_AVX512(u16, uint16_t)
FIOU_DEFINE_BLOCK_AVX512(i16, int16_t)
FIOU_DEFINE_BLOCK_AVX512(u32, uint32_t)
FIOU_DEFINE_BLOCK_AVX512(i32, int32_t)
FIOU_DEFINE_BLOCK_AVX512(u64, uint64_t)
FIOU_DEFINE_BLOCK_AVX512(i64, int64_t)

/* AVX2, 32- and 64-bit labels (session 13): the same keyed loop, 8 lanes to a register. The
   labels are checked against C - 1 with unsigned 32-bit maxima: for 64-bit labels over both
   halves of each label at once (the limit's high half is 0), so a label passes only when its
   high half is 0 and its low half below C. fiou_lanes8_NAME(x, top): 8 labels at x as 32-bit
   lanes, their 32-bit halves' maxima kept in *top; fiou_inside8_NAME(x, limit): the mask of
   the 8 labels at x at most `limit`. */
#define FIOU_DEFINE_LANES8(NAME, T, WIDE)                                                      \
FIOU_AVX2 static inline __m256i fiou_lanes8_##NAME(const T* x, __m256i* top) {                 \
    __m256i a = _mm256_loadu_si256((const __m256i*)x);                                         \
    if (!WIDE) {                                                                               \
        *top = _mm256_max_epu32(*top, a);                                                      \
        return a;                                                                              \
    }                                                                                          \
    __m256i b = _mm256_loadu_si256((const __m256i*)x + 1);                                     \
    *top = _mm256_max_epu32(*top, _mm256_max_epu32(a, b));                                     \
    /* the low halves: a0 a1 b0 b1 | a2 a3 b2 b3, then in lane order */                        \
    __m256i low = _mm256_castps_si256(_mm256_shuffle_ps(_mm256_castsi256_ps(a),                \
                                                        _mm256_castsi256_ps(b), 0x88));        \
    return _mm256_permute4x64_epi64(low, 0xD8);                                                \
}                                                                                              \
FIOU_AVX2 static inline uint32_t fiou_inside8_##NAME(const T* x, __m256i limit) {              \
    __m256i a = _mm256_loadu_si256((const __m256i*)x);                                         \
    if (!WIDE)                                                                                 \
        return (uint32_t)_mm256_movemask_ps(_mm256_castsi256_ps(                               \
            _mm256_cmpeq_epi32(_mm256_max_epu32(a, limit), limit)));                           \
    __m256i b = _mm256_loadu_si256((const __m256i*)x + 1);                                     \
    return (uint32_t)_mm256_movemask_pd(_mm256_castsi256_pd(                                   \
               _mm256_cmpeq_epi64(_mm256_max_epu32(a, limit), limit)))                         \
         | ((uint32_t)_mm256_movemask_pd(_mm256_castsi256_pd(                                  \
               _mm256_cmpeq_epi64(_mm256_max_epu32(b, limit), limit))) << 4);                  \
}                                                                                              \
FIOU_AVX2 static inline __m256i fiou_limit8_##NAME(uint64_t n_classes) {                       \
    return WIDE ? _mm256_set1_epi64x((long long)(n_classes - 1))                               \
                : _mm256_set1_epi32((int)(n_classes - 1));                                     \
}                                                                                              \
FIOU_AVX2 static inline int fiou_codes_avx2_##NAME(const T* t, const T* p,                     \
                                                   uint64_t n_classes, __m256i* codes) {       \
    const __m256i limit = fiou_limit8_##NAME(n_classes);                                       \
    const __m256i c = _mm256_set1_epi32((int)n_classes);                                       \
    __m256i top = _mm256_setzero_si256();                                                      \
    for (int h = 0; h < 8; h++) {                                                              \
        __m256i tv = fiou_lanes8_##NAME(t + 8 * h, &top);                                      \
        __m256i pv = fiou_lanes8_##NAME(p + 8 * h, &top);                                      \
        codes[h] = _mm256_add_epi32(_mm256_mullo_epi32(tv, c), pv);                            \
    }                                                                                          \
    return _mm256_movemask_epi8(_mm256_cmpeq_epi32(_mm256_max_epu32(top, limit), limit)) == -1; \
}                                                                                              \
FIOU_AVX2 static inline uint64_t fiou_inside64_avx2_##NAME(const T* t, const T* p,             \
                                                            uint64_t n_classes) {              \
    const __m256i limit = fiou_limit8_##NAME(n_classes);                                       \
    uint64_t inside = 0;                                                                       \
    for (int h = 0; h < 8; h++)                                                                \
        inside |= (uint64_t)(fiou_inside8_##NAME(t + 8 * h, limit)                             \
                             & fiou_inside8_##NAME(p + 8 * h, limit)) << (8 * h);              \
    return inside;                                                                             \
}
FIOU_DEFINE_LANES8(u32, uint32_t, 0)
FIOU_DEFINE_LANES8(i32, int32_t, 0)
FIOU_DEFINE_LANES8(u64, uint64_t, 1)
FIOU_DEFINE_LANES8(i64, int64_t, 1)

/* The code helpers of each copy of the keyed loop (ISA avx512 or avx2, as above):
   fiou_code_broadcast_ISA(codes, lane): lane `lane` (0..63) of `codes` in every lane;
   fiou_code_value_ISA(c): the code broadcast in `c`;
   fiou_code_matches_ISA(codes, c): the lanes of `codes` equal to the code broadcast in `c`;
   fiou_repeats_ISA(codes): bit k set when lanes k and k + 1 (k < 63) of `codes` hold the same
   code, the start of a run of at least two, where a reference pair cannot be a lone noisy pair;
   fiou_queue_codes_ISA(codes, lanes, queue): append the `lanes` of `codes` to queue, return
   how many (queue has room for 64 more). */
FIOU_AVX512 static inline __m512i fiou_code_broadcast_avx512(const __m512i* codes, int lane) {
    return _mm512_permutexvar_epi32(_mm512_set1_epi32(lane & 15), codes[lane >> 4]);
}
FIOU_AVX512 static inline uint32_t fiou_code_value_avx512(__m512i c) {
    return (uint32_t)_mm_cvtsi128_si32(_mm512_castsi512_si128(c));
}
FIOU_AVX512 static inline uint64_t fiou_code_matches_avx512(const __m512i* codes, __m512i c) {
    __mmask32 low = _mm512_kunpackw(_mm512_cmpeq_epi32_mask(codes[1], c),
                                    _mm512_cmpeq_epi32_mask(codes[0], c));
    __mmask32 high = _mm512_kunpackw(_mm512_cmpeq_epi32_mask(codes[3], c),
                                     _mm512_cmpeq_epi32_mask(codes[2], c));
    return (uint64_t)_mm512_kunpackd((__mmask64)high, (__mmask64)low);
}

FIOU_AVX512 static inline uint64_t fiou_repeats_avx512(const __m512i* codes) {
    uint64_t m = 0;
    for (int h = 0; h < 4; h++) {
        __m512i next = _mm512_alignr_epi32(codes[h < 3 ? h + 1 : h], codes[h], 1);
        m |= (uint64_t)_mm512_cmpeq_epi32_mask(codes[h], next) << (16 * h);
    }
    return m & ~((uint64_t)1 << 63);
}

FIOU_AVX512 static inline ptrdiff_t fiou_queue_codes_avx512(const __m512i* codes,
                                                            uint64_t lanes, uint32_t* queue) {
    ptrdiff_t n = 0;
    for (int h = 0; h < 4; h++) {
        __mmask16 mask = (__mmask16)(lanes >> (16 * h));
        _mm512_storeu_si512(queue + n, _mm512_maskz_compress_epi32(mask, codes[h]));
        n += __builtin_popcount((unsigned)mask);
    }
    return n;
}

FIOU_AVX2 static inline __m256i fiou_code_broadcast_avx2(const __m256i* codes, int lane) {
    return _mm256_permutevar8x32_epi32(codes[lane >> 3], _mm256_set1_epi32(lane & 7));
}
FIOU_AVX2 static inline uint32_t fiou_code_value_avx2(__m256i c) {
    return (uint32_t)_mm256_cvtsi256_si32(c);
}
FIOU_AVX2 static inline uint64_t fiou_code_matches_avx2(const __m256i* codes, __m256i c) {
    uint64_t m = 0;
    for (int h = 0; h < 8; h++)
        m |= (uint64_t)(uint32_t)_mm256_movemask_ps(_mm256_castsi256_ps(
                 _mm256_cmpeq_epi32(codes[h], c))) << (8 * h);
    return m;
}
FIOU_AVX2 static inline uint64_t fiou_repeats_avx2(const __m256i* codes) {
    const __m256i up = _mm256_setr_epi32(1, 2, 3, 4, 5, 6, 7, 7);
    uint64_t m = 0;
    for (int h = 0; h < 8; h++) {
        __m256i next = _mm256_permutevar8x32_epi32(codes[h], up);
        if (h < 7)  /* lane 7's next is lane 0 of the next register */
            next = _mm256_blend_epi32(
                next, _mm256_broadcastd_epi32(_mm256_castsi256_si128(codes[h + 1])), 0x80);
        m |= (uint64_t)(uint32_t)_mm256_movemask_ps(_mm256_castsi256_ps(
                 _mm256_cmpeq_epi32(codes[h], next))) << (8 * h);
    }
    return m & ~((uint64_t)1 << 63);
}

/* AVX2 has no compress: entry m lists the set bits of m, lowest first, 3 bits each from bit 0
   (the lane indices a permute needs to move those lanes to the front) */
static const uint32_t fiou_left_pack[256] = {
    0x000000, 0x000000, 0x000001, 0x000008, 0x000002, 0x000010, 0x000011, 0x000088,
    0x000003, 0x000018, 0x000019, 0x0000c8, 0x00001a, 0x0000d0, 0x0000d1, 0x000688,
    0x000004, 0x000020, 0x000021, 0x000108, 0x000022, 0x000110, 0x000111, 0x000888,
    0x000023, 0x000118, 0x000119, 0x0008c8, 0x00011a, 0x0008d0, 0x0008d1, 0x004688,
    0x000005, 0x000028, 0x000029, 0x000148, 0x00002a, 0x000150, 0x000151, 0x000a88,
    0x00002b, 0x000158, 0x000159, 0x000ac8, 0x00015a, 0x000ad0, 0x000ad1, 0x005688,
    0x00002c, 0x000160, 0x000161, 0x000b08, 0x000162, 0x000b10, 0x000b11, 0x005888,
    0x000163, 0x000b18, 0x000b19, 0x0058c8, 0x000b1a, 0x0058d0, 0x0058d1, 0x02c688,
    0x000006, 0x000030, 0x000031, 0x000188, 0x000032, 0x000190, 0x000191, 0x000c88,
    0x000033, 0x000198, 0x000199, 0x000cc8, 0x00019a, 0x000cd0, 0x000cd1, 0x006688,
    0x000034, 0x0001a0, 0x0001a1, 0x000d08, 0x0001a2, 0x000d10, 0x000d11, 0x006888,
    0x0001a3, 0x000d18, 0x000d19, 0x0068c8, 0x000d1a, 0x0068d0, 0x0068d1, 0x034688,
    0x000035, 0x0001a8, 0x0001a9, 0x000d48, 0x0001aa, 0x000d50, 0x000d51, 0x006a88,
    0x0001ab, 0x000d58, 0x000d59, 0x006ac8, 0x000d5a, 0x006ad0, 0x006ad1, 0x035688,
    0x0001ac, 0x000d60, 0x000d61, 0x006b08, 0x000d62, 0x006b10, 0x006b11, 0x035888,
    0x000d63, 0x006b18, 0x006b19, 0x0358c8, 0x006b1a, 0x0358d0, 0x0358d1, 0x1ac688,
    0x000007, 0x000038, 0x000039, 0x0001c8, 0x00003a, 0x0001d0, 0x0001d1, 0x000e88,
    0x00003b, 0x0001d8, 0x0001d9, 0x000ec8, 0x0001da, 0x000ed0, 0x000ed1, 0x007688,
    0x00003c, 0x0001e0, 0x0001e1, 0x000f08, 0x0001e2, 0x000f10, 0x000f11, 0x007888,
    0x0001e3, 0x000f18, 0x000f19, 0x0078c8, 0x000f1a, 0x0078d0, 0x0078d1, 0x03c688,
    0x00003d, 0x0001e8, 0x0001e9, 0x000f48, 0x0001ea, 0x000f50, 0x000f51, 0x007a88,
    0x0001eb, 0x000f58, 0x000f59, 0x007ac8, 0x000f5a, 0x007ad0, 0x007ad1, 0x03d688,
    0x0001ec, 0x000f60, 0x000f61, 0x007b08, 0x000f62, 0x007b10, 0x007b11, 0x03d888,
    0x000f63, 0x007b18, 0x007b19, 0x03d8c8, 0x007b1a, 0x03d8d0, 0x03d8d1, 0x1ec688,
    0x00003e, 0x0001f0, 0x0001f1, 0x000f88, 0x0001f2, 0x000f90, 0x000f91, 0x007c88,
    0x0001f3, 0x000f98, 0x000f99, 0x007cc8, 0x000f9a, 0x007cd0, 0x007cd1, 0x03e688,
    0x0001f4, 0x000fa0, 0x000fa1, 0x007d08, 0x000fa2, 0x007d10, 0x007d11, 0x03e888,
    0x000fa3, 0x007d18, 0x007d19, 0x03e8c8, 0x007d1a, 0x03e8d0, 0x03e8d1, 0x1f4688,
    0x0001f5, 0x000fa8, 0x000fa9, 0x007d48, 0x000faa, 0x007d50, 0x007d51, 0x03ea88,
    0x000fab, 0x007d58, 0x007d59, 0x03eac8, 0x007d5a, 0x03ead0, 0x03ead1, 0x1f5688,
    0x000fac, 0x007d60, 0x007d61, 0x03eb08, 0x007d62, 0x03eb10, 0x03eb11, 0x1f5888,
    0x007d63, 0x03eb18, 0x03eb19, 0x1f58c8, 0x03eb1a, 0x1f58d0, 0x1f58d1, 0xfac688,
};

FIOU_AVX2 static inline ptrdiff_t fiou_queue_codes_avx2(const __m256i* codes, uint64_t lanes,
                                                        uint32_t* queue) {
    const __m256i shifts = _mm256_setr_epi32(0, 3, 6, 9, 12, 15, 18, 21);
    ptrdiff_t n = 0;
    for (int h = 0; h < 8; h++) {
        unsigned mask = (unsigned)(lanes >> (8 * h)) & 0xFF;
        /* the permute reads the low 3 bits of each index */
        __m256i index = _mm256_srlv_epi32(_mm256_set1_epi32((int)fiou_left_pack[mask]), shifts);
        _mm256_storeu_si256((__m256i*)(queue + n), _mm256_permutevar8x32_epi32(codes[h], index));
        n += __builtin_popcount(mask);
    }
    return n;
}

/* Short codes (session 13). With VBMI2 (SIMD level 3) and C <= FIOU_SHORT_MAX_CLASSES every
   code t * C + p fits 16 bits: the block's codes are packed to 16 bits and compressed 32 lanes
   at a time (vpcompressw) into a uint16 queue, two 64-byte stores a block instead of four.
   That took 0.90-0.96 the time of the uint32 queue on the noisy maps at 19-150 classes (int64,
   int32, uint16; 2 threads): while the labels stream in from memory, the queue's stores are
   what the block loop waits on. The same packing with AVX-512 F/BW only (vpcompressd, then
   vpmovdw to four 32-byte stores) gave 0.97-0.99, not worth a third copy of the loop. */
#define FIOU_SHORT_MAX_CLASSES 256

/* append the `lanes` of `codes` (each below 65536) to queue as 16-bit codes; returns how many */
FIOU_AVX512_VBMI2 static inline ptrdiff_t fiou_queue_short_codes(const __m512i* codes,
                                                                 uint64_t lanes, uint16_t* queue) {
    __m512i low = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi32_epi16(codes[0])),
                                     _mm512_cvtepi32_epi16(codes[1]), 1);
    __m512i high = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi32_epi16(codes[2])),
                                      _mm512_cvtepi32_epi16(codes[3]), 1);
    ptrdiff_t n = __builtin_popcount((uint32_t)lanes);
    _mm512_storeu_si512(queue, _mm512_maskz_compress_epi16((__mmask32)lanes, low));
    _mm512_storeu_si512(queue + n, _mm512_maskz_compress_epi16((__mmask32)(lanes >> 32), high));
    return n + __builtin_popcount((uint32_t)(lanes >> 32));
}

/* a reference pair: its code's lanes among `rest` are taken from `rest` and counted */
#define FIOU_COUNT_REFERENCE(ISA, lane)                                                        \
    do {                                                                                       \
        FIOU_VEC_##ISA c = fiou_code_broadcast_##ISA(codes, (lane));                           \
        uint32_t code = fiou_code_value_##ISA(c);                                              \
        m = fiou_code_matches_##ISA(codes, c) & rest;                                          \
        rest &= ~m;                                                                            \
        fiou_add_count(hist, narrow, code, (uint32_t)__builtin_popcountll(m));                 \
    } while (0)

/* one pair of code `code`, added at once (keyed loop) */
#define FIOU_ADD_KEYED(code) fiou_add_one(hist, narrow, (code))

/* the vector type and registers a block's codes take, for each ISA */
#define FIOU_VEC_avx512 __m512i
#define FIOU_VEC_avx2 __m256i
#define FIOU_REGISTERS_avx512 4
#define FIOU_REGISTERS_avx2 8

/* the keyed loop, for the block helpers of ISA, is compiled with narrow tables and without
   (`narrow` NULL), so that the int64 one carries no test of `narrow`, and, with VBMI2, with
   short codes (SHORT 1) */
#define FIOU_DEFINE_KEYED_AS(SUFFIX, ISA, ATTR, SHORT, NAME, T, W)                             \
ATTR static inline __attribute__((always_inline)) void fiou_count_##NAME##_##SUFFIX##_as(      \
        const T* t, const T* p, ptrdiff_t start, ptrdiff_t end, uint64_t n_classes,            \
        const T* ignore, ptrdiff_t n_ignore, int64_t* hist, uint16_t* narrow, int64_t* miss,   \
        int64_t* bad, ptrdiff_t ahead) {                                                       \
    ptrdiff_t i = start, k, g, plain_blocks = 0, n_queued = 0;                                 \
    uint32_t queue[SHORT ? 1 : FIOU_QUEUE_FAR + 64];                                           \
    uint16_t queue16[SHORT ? FIOU_QUEUE_FAR + 64 : 1];                                         \
    const int far = n_classes * n_classes * sizeof(int64_t) > FIOU_KEYED_FAR_BYTES;            \
    for (; i + 64 <= end; i += 64) {                                                           \
        FIOU_VEC_##ISA codes[FIOU_REGISTERS_##ISA];                                            \
        uint64_t rest = ~(uint64_t)0, m, slow, starts;                                         \
        if (ahead)  /* a block's labels are sizeof(T) lines of each */                         \
            for (int line = 0; line < (int)sizeof(T); line++) {                                \
                __builtin_prefetch((const char*)(t + i) + ahead + 64 * line);                  \
                __builtin_prefetch((const char*)(p + i) + ahead + 64 * line);                  \
            }                                                                                  \
        if (!fiou_codes_##ISA##_##NAME(t + i, p + i, n_classes, codes)) {                      \
            /* lanes outside [0, C): ignored (first few here), else booked one by one */       \
            const uint64_t inside = fiou_inside64_##ISA##_##NAME(t + i, p + i, n_classes);     \
            for (g = 0; g < n_ignore && g < FIOU_MASKED_IGNORES; g++)                          \
                rest &= ~eq64_##ISA##_##W(t + i, (uint64_t)ignore[g]);                         \
            for (slow = rest & ~inside; slow; slow &= slow - 1) {                              \
                k = i + __builtin_ctzll(slow);                                                 \
                FIOU_ONE_PAIR(T, FIOU_ADD_KEYED);                                              \
            }                                                                                  \
            rest &= inside;                                                                    \
        }                                                                                      \
        if (plain_blocks > 0) plain_blocks--;                                                  \
        else {                                                                                 \
            if (rest & 1) FIOU_COUNT_REFERENCE(ISA, 0);                                        \
            if (rest >> 63) FIOU_COUNT_REFERENCE(ISA, 63);                                     \
            if (__builtin_popcountll(rest) >= FIOU_RUN_GUESS) {                                \
                const uint64_t repeats = fiou_repeats_##ISA(codes);                            \
                FIOU_FOR_EACH_RUN_START(starts, rest, repeats)                                 \
                    FIOU_COUNT_REFERENCE(ISA, __builtin_ctzll(starts));                        \
            }                                                                                  \
            if (__builtin_popcountll(rest) > FIOU_FEW_RUNS) plain_blocks = FIOU_PLAIN_BLOCKS;  \
        }                                                                                      \
        if (SHORT) {                                                                           \
            if (rest) n_queued += FIOU_QUEUE_SHORT_##SHORT(codes, rest, queue16 + n_queued);   \
            if (n_queued >= (far ? FIOU_QUEUE_FAR : FIOU_QUEUE)) {                             \
                fiou_add_short_codes(hist, narrow, queue16, n_queued, far);                    \
                n_queued = 0;                                                                  \
            }                                                                                  \
            continue;                                                                          \
        }                                                                                      \
        if (rest) n_queued += fiou_queue_codes_##ISA(codes, rest, queue + n_queued);           \
        if (n_queued >= (far ? FIOU_QUEUE_FAR : FIOU_QUEUE)) {                                 \
            fiou_add_queued(hist, narrow, queue, n_queued, far);                               \
            n_queued = 0;                                                                      \
        }                                                                                      \
    }                                                                                          \
    if (SHORT) fiou_add_short_codes(hist, narrow, queue16, n_queued, far);                     \
    else fiou_add_queued(hist, narrow, queue, n_queued, far);                                  \
    for (k = i; k < end; k++) FIOU_ONE_PAIR(T, FIOU_ADD_KEYED);                                \
}

/* the short-code queue of each copy of the keyed loop: VBMI2's, and none without it (that copy
   never takes the SHORT branch) */
#define FIOU_QUEUE_SHORT_1(codes, rest, queue) fiou_queue_short_codes((codes), (rest), (queue))
#define FIOU_QUEUE_SHORT_0(codes, rest, queue) 0

/* fiou_count_NAME_SUFFIX: the keyed loop of ISA with narrow tables or without */
#define FIOU_DEFINE_KEYED_KERNEL(SUFFIX, ISA, ATTR, NAME, T, W)                                \
FIOU_DEFINE_KEYED_AS(SUFFIX, ISA, ATTR, 0, NAME, T, W)                                         \
ATTR static inline void fiou_count_##NAME##_##SUFFIX(const T* t, const T* p,                   \
        ptrdiff_t start, ptrdiff_t end, uint64_t n_classes, const T* ignore,                   \
        ptrdiff_t n_ignore, int64_t* hist, uint16_t* narrow, int64_t* miss, int64_t* bad,      \
        ptrdiff_t ahead) {                                                                     \
    if (W > 8 && narrow) fiou_count_##NAME##_##SUFFIX##_as(t, p, start, end, n_classes,        \
                                                           ignore, n_ignore, hist, narrow,     \
                                                           miss, bad, ahead);                  \
    else fiou_count_##NAME##_##SUFFIX##_as(t, p, start, end, n_classes, ignore, n_ignore,      \
                                           hist, NULL, miss, bad, ahead);                      \
}
#define FIOU_DEFINE_SHORT_KERNEL(NAME, T, W)                                                   \
FIOU_DEFINE_KEYED_AS(short, avx512, FIOU_AVX512_VBMI2, 1, NAME, T, W)                          \
FIOU_AVX512_VBMI2 static inline void fiou_count_##NAME##_short(const T* t, const T* p,         \
        ptrdiff_t start, ptrdiff_t end, uint64_t n_classes, const T* ignore,                   \
        ptrdiff_t n_ignore, int64_t* hist, int64_t* miss, int64_t* bad, ptrdiff_t ahead) {     \
    fiou_count_##NAME##_short_as(t, p, start, end, n_classes, ignore, n_ignore, hist, NULL,    \
                                 miss, bad, ahead);                                            \
}

/* the AVX2 loop of each label width: the keyed one for 32- and 64-bit labels, the one that
   compares labels at their own width (FIOU_DEFINE_KERNEL) for narrower ones */
#define FIOU_DEFINE_AVX2_8(NAME, T) FIOU_DEFINE_KERNEL(avx2, FIOU_AVX2, NAME, T, 8)
#define FIOU_DEFINE_AVX2_16(NAME, T) FIOU_DEFINE_KERNEL(avx2, FIOU_AVX2, NAME, T, 16)
#define FIOU_DEFINE_AVX2_32(NAME, T) FIOU_DEFINE_KEYED_KERNEL(avx2, avx2, FIOU_AVX2, NAME, T, 32)
#define FIOU_DEFINE_AVX2_64(NAME, T) FIOU_DEFINE_KEYED_KERNEL(avx2, avx2, FIOU_AVX2, NAME, T, 64)

#define FIOU_DEFINE_TYPE(NAME, T, W)                                                           \
    FIOU_DEFINE_AVX2_##W(NAME, T)                                                              \
    FIOU_DEFINE_KEYED_KERNEL(keyed, avx512, FIOU_AVX512, NAME, T, W)                           \
    FIOU_DEFINE_SHORT_KERNEL(NAME, T, W)                                                       \
static inline int fiou_count_##NAME(int level, const T* t, const T* p, ptrdiff_t start,        \
        ptrdiff_t end, uint64_t n_classes, const T* ignore, ptrdiff_t n_ignore,                \
        int64_t* hist, uint16_t* narrow, int64_t* miss, int64_t* bad, ptrdiff_t ahead) {       \
    /* short codes: not for one-byte labels, which reach this loop only below the byte     \
       tables' threshold (a copy less to compile); C <= 256 never has narrow tables */     \
    if (level >= 3 && W > 8 && n_classes <= FIOU_SHORT_MAX_CLASSES)                            \
        fiou_count_##NAME##_short(t, p, start, end, n_classes, ignore, n_ignore, hist, miss,   \
                                  bad, ahead);                                                 \
    else if (level >= 2 && n_classes <= FIOU_KEYED_MAX_CLASSES)                                \
        fiou_count_##NAME##_keyed(t, p, start, end, n_classes, ignore, n_ignore, hist, narrow, \
                                  miss, bad, ahead);                                           \
    /* the keyed loops take C <= FIOU_KEYED_MAX_CLASSES: more classes (an int64 matrix of 32  \
       GiB or more) go to the scalar loop with 32- and 64-bit labels */                      \
    else if (level >= 1 && (W <= 16 || n_classes <= FIOU_KEYED_MAX_CLASSES))                   \
        fiou_count_##NAME##_avx2(t, p, start, end, n_classes, ignore, n_ignore, hist, narrow,  \
                                 miss, bad, ahead);                                            \
    else return 0;                                                                             \
    return 1;                                                                                  \
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

/* whether the loop for `n_classes` and labels of `size` bytes at SIMD `level` can count into
   narrow tables: never for one-byte labels (the loops have no narrow copy for them, a gcc
   second less), which come here only below the byte tables' threshold, where the wrappers
   run 725+ classes on one thread anyway */
static inline int fiou_uses_narrow_tables(int level, uint64_t n_classes, int size) {
#ifdef FIOU_X86
    return level >= 1 && size > 1 && n_classes <= FIOU_KEYED_MAX_CLASSES
           && n_classes * n_classes * sizeof(int64_t) > FIOU_NARROW_TABLE_BYTES;
#else
    (void)level; (void)n_classes; (void)size;
    return 0;
#endif
}

/* The run-aware loop for labels of `size` bytes, signed or not, at SIMD `level`; returns 0
   when this machine or compiler has none (the caller then runs its scalar loop). `narrow`:
   this thread's zeroed uint16 table when fiou_uses_narrow_tables(level, n_classes, size) and the
   caller chose narrow tables (`hist` is then the thread's overflow log, hist[0] zero), else
   NULL. `ahead`: how many bytes ahead the keyed loops ask for their labels, 0 for not at all
   (fiou_detect_label_prefetch). */
static inline int fiou_count_labels(int level, int size, int is_signed, const void* t,
        const void* p, ptrdiff_t start, ptrdiff_t end, uint64_t n_classes, const void* ignore,
        ptrdiff_t n_ignore, int64_t* hist, uint16_t* narrow, int64_t* miss, int64_t* bad,
        ptrdiff_t ahead) {
#ifdef FIOU_X86
#define FIOU_CALL(NAME, T) fiou_count_##NAME(level, (const T*)t, (const T*)p, start, end,      \
        n_classes, (const T*)ignore, n_ignore, hist, narrow, miss, bad, ahead)
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
    (void)n_classes; (void)ignore; (void)n_ignore; (void)hist; (void)narrow; (void)miss;
    (void)bad; (void)ahead;
#endif
    return 0;
}

#endif /* FASTIOU_LABEL_KERNELS_H */
