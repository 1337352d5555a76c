/* fastiou_label_kernels.h: the run-aware counting loops of fastiou._confusion, for labels of
   any integer type, into an int64 (C, C) histogram (or, for many classes on several
   threads, a uint16 one of the thread's own: narrow tables, below) with range checks.

   Each call counts the pairs [start, end) in blocks of 64: a block is compared against its
   first pair, its last pair and, while many lanes remain, the starts of further runs
   (FIOU_FOR_EACH_RUN_START); each match adds a popcount to one counter. A reference pair
   is used only when it lies in [0, C), so every pair matched to it does too. Pairs outside
   [0, C) go through the checked one-by-one path (FIOU_ONE_PAIR), which books them as
   fastiou._confusion describes. After a block without runs the next blocks skip the
   reference pairs. The AVX-512 loop (keyed) queues the lanes left over as codes, the AVX2
   loop counts them one by one. */
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

/* one pair of each code queue[j], j < n; with `far` (a table larger than the cache) each
   counter's line is asked for FIOU_QUEUE_AHEAD codes before it is added to */
static inline void fiou_add_queued(int64_t* hist, uint16_t* narrow, const uint32_t* queue,
                                   ptrdiff_t n, int far) {
    ptrdiff_t j = 0;
    if (far)
        for (; j + FIOU_QUEUE_AHEAD < n; j++) {
            uint32_t ahead = queue[j + FIOU_QUEUE_AHEAD];
            __builtin_prefetch(narrow ? (const void*)(narrow + ahead)
                                      : (const void*)(hist + ahead), 1);
            fiou_add_one(hist, narrow, queue[j]);
        }
    for (; j < n; j++) fiou_add_one(hist, narrow, queue[j]);
}

/* the AVX2 loop; like the keyed one below it is compiled twice, with narrow tables and
   without (`narrow` NULL: an int64 `hist`, no test of `narrow` per pair) */
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
           the compare reads one pair beyond the block; not for 64-bit labels into a small    \
           matrix, whose one-by-one pairs cost less than the 32 compares: 1.02-1.06 the time) */ \
        if (__builtin_popcountll(rest) >= FIOU_RUN_GUESS && i + 64 < end && (W < 64 || far)) { \
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
        int64_t* hist, uint16_t* narrow, int64_t* miss, int64_t* bad) {                        \
    if (W > 8 && narrow) fiou_count_##NAME##_##ISA##_as(t, p, start, end, n_classes, ignore,   \
                                                        n_ignore, hist, narrow, miss, bad);    \
    else fiou_count_##NAME##_##ISA##_as(t, p, start, end, n_classes, ignore, n_ignore, hist,   \
                                        NULL, miss, bad);                                      \
}

/* AVX-512, C <= FIOU_KEYED_MAX_CLASSES: each block's 64 pairs are first turned into 32-bit
   codes t * C + p, 16 lanes to a register, with a mask of the lanes whose truth and
   prediction both lie in [0, C) (compared at the labels' own width, so no wide label passes
   for a small one). Reference pairs are then matched with one compare per 16 lanes whatever
   the label type, and the lanes left over are not visited one by one: their codes t * C + p
   are compressed into a queue, which fiou_add_queued adds in batches. Only lanes outside
   [0, C) (ignored or bad) take the one-by-one path. The labels are left to the hardware
   prefetchers: asking for them ahead as data read once (prefetchnta) took 1.01-1.08 the
   time at 600 and 1000 classes (session 11), and the smaller matrices never did. */

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

/* lane `lane` (0..63) of `codes` in every lane */
FIOU_AVX512 static inline __m512i fiou_code_broadcast(const __m512i* codes, int lane) {
    return _mm512_permutexvar_epi32(_mm512_set1_epi32(lane & 15), codes[lane >> 4]);
}

/* the lanes of `codes` equal to the code broadcast in `c` */
FIOU_AVX512 static inline uint64_t fiou_code_matches(const __m512i* codes, __m512i c) {
    __mmask32 low = _mm512_kunpackw(_mm512_cmpeq_epi32_mask(codes[1], c),
                                    _mm512_cmpeq_epi32_mask(codes[0], c));
    __mmask32 high = _mm512_kunpackw(_mm512_cmpeq_epi32_mask(codes[3], c),
                                     _mm512_cmpeq_epi32_mask(codes[2], c));
    return (uint64_t)_mm512_kunpackd((__mmask64)high, (__mmask64)low);
}

/* bit k set when lanes k and k + 1 (k < 63) of `codes` hold the same code: the start of a
   run of at least two, where a reference pair cannot be a lone noisy pair */
FIOU_AVX512 static inline uint64_t fiou_repeats(const __m512i* codes) {
    uint64_t m = 0;
    for (int h = 0; h < 4; h++) {
        __m512i next = _mm512_alignr_epi32(codes[h < 3 ? h + 1 : h], codes[h], 1);
        m |= (uint64_t)_mm512_cmpeq_epi32_mask(codes[h], next) << (16 * h);
    }
    return m & ~((uint64_t)1 << 63);
}

/* append the `lanes` of `codes` to queue; returns how many */
FIOU_AVX512 static inline ptrdiff_t fiou_queue_codes(const __m512i* codes, uint64_t lanes,
                                                     uint32_t* queue) {
    ptrdiff_t n = 0;
    for (int h = 0; h < 4; h++) {
        __mmask16 mask = (__mmask16)(lanes >> (16 * h));
        _mm512_storeu_si512(queue + n, _mm512_maskz_compress_epi32(mask, codes[h]));
        n += __builtin_popcount((unsigned)mask);
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

/* one pair of each code queue[j], j < n, into an int64 histogram (short codes: never far) */
static inline void fiou_add_short_codes(int64_t* hist, const uint16_t* queue, ptrdiff_t n) {
    for (ptrdiff_t j = 0; j < n; j++) hist[queue[j]] += 1;
}

/* a reference pair: its code's lanes among `rest` are taken from `rest` and counted */
#define FIOU_COUNT_REFERENCE(lane)                                                             \
    do {                                                                                       \
        __m512i c = fiou_code_broadcast(codes, (lane));                                        \
        uint32_t code = (uint32_t)_mm_cvtsi128_si32(_mm512_castsi512_si128(c));                 \
        m = fiou_code_matches(codes, c) & rest;                                                \
        rest &= ~m;                                                                            \
        fiou_add_count(hist, narrow, code, (uint32_t)__builtin_popcountll(m));                 \
    } while (0)

/* one pair of code `code`, added at once (keyed loop) */
#define FIOU_ADD_KEYED(code) fiou_add_one(hist, narrow, (code))

/* the keyed loop is compiled three times: with narrow tables and without (`narrow` NULL), so
   that the int64 one carries no test of `narrow`, and with short codes (SHORT 1, VBMI2) */
#define FIOU_DEFINE_KEYED_AS(SUFFIX, ATTR, SHORT, NAME, T, W)                                  \
ATTR static inline __attribute__((always_inline)) void fiou_count_##NAME##_##SUFFIX##_as(      \
        const T* t, const T* p, ptrdiff_t start, ptrdiff_t end, uint64_t n_classes,            \
        const T* ignore, ptrdiff_t n_ignore, int64_t* hist, uint16_t* narrow, int64_t* miss,   \
        int64_t* bad) {                                                                        \
    ptrdiff_t i = start, k, g, plain_blocks = 0, n_queued = 0;                                 \
    uint32_t queue[SHORT ? 1 : FIOU_QUEUE_FAR + 64];                                           \
    uint16_t queue16[SHORT ? FIOU_QUEUE + 64 : 1];                                             \
    const int far = n_classes * n_classes * sizeof(int64_t) > FIOU_QUEUE_TABLE_BYTES;          \
    const __m512i limit64 = _mm512_set1_epi64((long long)n_classes);                           \
    const __m512i limit32 = _mm512_set1_epi32((int)n_classes);                                 \
    for (; i + 64 <= end; i += 64) {                                                           \
        __m512i codes[4];                                                                      \
        uint64_t rest = ~(uint64_t)0, m, slow, starts;                                         \
        __m512i top = _mm512_setzero_si512();                                                  \
        for (int h = 0; h < 4; h++) {                                                          \
            __m512i tv = fiou_lanes16_##NAME(t + i + 16 * h, &top);                            \
            __m512i pv = fiou_lanes16_##NAME(p + i + 16 * h, &top);                            \
            codes[h] = _mm512_add_epi32(_mm512_mullo_epi32(tv, limit32), pv);                  \
        }                                                                                      \
        if (!fiou_below_##NAME(top, limit64, limit32)) {                                       \
            /* lanes outside [0, C): ignored (first few here), else booked one by one */       \
            uint64_t inside = 0;                                                               \
            for (int h = 0; h < 4; h++)                                                        \
                inside |= (uint64_t)(fiou_inside16_##NAME(t + i + 16 * h, limit64, limit32)    \
                                     & fiou_inside16_##NAME(p + i + 16 * h, limit64, limit32)) \
                          << (16 * h);                                                         \
            for (g = 0; g < n_ignore && g < FIOU_MASKED_IGNORES; g++)                          \
                rest &= ~eq64_avx512_##W(t + i, (uint64_t)ignore[g]);                          \
            for (slow = rest & ~inside; slow; slow &= slow - 1) {                              \
                k = i + __builtin_ctzll(slow);                                                 \
                FIOU_ONE_PAIR(T, FIOU_ADD_KEYED);                                              \
            }                                                                                  \
            rest &= inside;                                                                    \
        }                                                                                      \
        if (plain_blocks > 0) plain_blocks--;                                                  \
        else {                                                                                 \
            if (rest & 1) FIOU_COUNT_REFERENCE(0);                                             \
            if (rest >> 63) FIOU_COUNT_REFERENCE(63);                                          \
            if (__builtin_popcountll(rest) >= FIOU_RUN_GUESS) {                                \
                const uint64_t repeats = fiou_repeats(codes);                                  \
                FIOU_FOR_EACH_RUN_START(starts, rest, repeats)                                 \
                    FIOU_COUNT_REFERENCE(__builtin_ctzll(starts));                             \
            }                                                                                  \
            if (__builtin_popcountll(rest) > FIOU_FEW_RUNS) plain_blocks = FIOU_PLAIN_BLOCKS;  \
        }                                                                                      \
        if (SHORT) {                                                                           \
            if (rest) n_queued += FIOU_QUEUE_SHORT_##SHORT(codes, rest, queue16 + n_queued);   \
            if (n_queued >= FIOU_QUEUE) {                                                      \
                fiou_add_short_codes(hist, queue16, n_queued);                                 \
                n_queued = 0;                                                                  \
            }                                                                                  \
            continue;                                                                          \
        }                                                                                      \
        if (rest) n_queued += fiou_queue_codes(codes, rest, queue + n_queued);                 \
        if (n_queued >= (far ? FIOU_QUEUE_FAR : FIOU_QUEUE)) {                                 \
            fiou_add_queued(hist, narrow, queue, n_queued, far);                               \
            n_queued = 0;                                                                      \
        }                                                                                      \
    }                                                                                          \
    if (SHORT) fiou_add_short_codes(hist, queue16, n_queued);                                  \
    else fiou_add_queued(hist, narrow, queue, n_queued, far);                                  \
    for (k = i; k < end; k++) FIOU_ONE_PAIR(T, FIOU_ADD_KEYED);                                \
}

/* the short-code queue of each copy of the keyed loop: VBMI2's, and none without it (that copy
   never takes the SHORT branch) */
#define FIOU_QUEUE_SHORT_1(codes, rest, queue) fiou_queue_short_codes((codes), (rest), (queue))
#define FIOU_QUEUE_SHORT_0(codes, rest, queue) 0

#define FIOU_DEFINE_KEYED_KERNEL(NAME, T, W)                                                   \
FIOU_DEFINE_KEYED_AS(keyed, FIOU_AVX512, 0, NAME, T, W)                                        \
FIOU_DEFINE_KEYED_AS(short, FIOU_AVX512_VBMI2, 1, NAME, T, W)                                  \
FIOU_AVX512 static inline void fiou_count_##NAME##_keyed(const T* t, const T* p,               \
        ptrdiff_t start, ptrdiff_t end, uint64_t n_classes, const T* ignore,                   \
        ptrdiff_t n_ignore, int64_t* hist, uint16_t* narrow, int64_t* miss, int64_t* bad) {    \
    if (W > 8 && narrow) fiou_count_##NAME##_keyed_as(t, p, start, end, n_classes, ignore,     \
                                                      n_ignore, hist, narrow, miss, bad);      \
    else fiou_count_##NAME##_keyed_as(t, p, start, end, n_classes, ignore, n_ignore, hist,     \
                                      NULL, miss, bad);                                        \
}                                                                                              \
FIOU_AVX512_VBMI2 static inline void fiou_count_##NAME##_short(const T* t, const T* p,         \
        ptrdiff_t start, ptrdiff_t end, uint64_t n_classes, const T* ignore,                   \
        ptrdiff_t n_ignore, int64_t* hist, int64_t* miss, int64_t* bad) {                      \
    fiou_count_##NAME##_short_as(t, p, start, end, n_classes, ignore, n_ignore, hist, NULL,    \
                                 miss, bad);                                                   \
}

#define FIOU_DEFINE_TYPE(NAME, T, W)                                                           \
    FIOU_DEFINE_KERNEL(avx2, FIOU_AVX2, NAME, T, W)                                            \
    FIOU_DEFINE_KEYED_KERNEL(NAME, T, W)                                                       \
static inline int fiou_count_##NAME(int level, const T* t, const T* p, ptrdiff_t start,        \
        ptrdiff_t end, uint64_t n_classes, const T* ignore, ptrdiff_t n_ignore,                \
        int64_t* hist, uint16_t* narrow, int64_t* miss, int64_t* bad) {                        \
    /* short codes: not for one-byte labels, which reach this loop only below the byte     \
       tables' threshold (a copy less to compile); C <= 256 never has narrow tables */     \
    if (level >= 3 && W > 8 && n_classes <= FIOU_SHORT_MAX_CLASSES)                            \
        fiou_count_##NAME##_short(t, p, start, end, n_classes, ignore, n_ignore, hist, miss,   \
                                  bad);                                                        \
    else if (level >= 2 && n_classes <= FIOU_KEYED_MAX_CLASSES)                                \
        fiou_count_##NAME##_keyed(t, p, start, end, n_classes, ignore, n_ignore, hist, narrow, \
                                  miss, bad);                                                  \
    else if (level >= 1) fiou_count_##NAME##_avx2(t, p, start, end, n_classes, ignore,         \
                                                  n_ignore, hist, narrow, miss, bad);          \
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
   NULL. */
static inline int fiou_count_labels(int level, int size, int is_signed, const void* t,
        const void* p, ptrdiff_t start, ptrdiff_t end, uint64_t n_classes, const void* ignore,
        ptrdiff_t n_ignore, int64_t* hist, uint16_t* narrow, int64_t* miss, int64_t* bad) {
#ifdef FIOU_X86
#define FIOU_CALL(NAME, T) fiou_count_##NAME(level, (const T*)t, (const T*)p, start, end,      \
        n_classes, (const T*)ignore, n_ignore, hist, narrow, miss, bad)
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
    (void)bad;
#endif
    return 0;
}

#endif /* FASTIOU_LABEL_KERNELS_H */
