/* fastiou_rgb_rows.h: the row loops of fastiou.evaluate._rgb_pairs, which counts the
   segment-overlap table of two decoded COCO panoptic (8-bit RGB or RGBA) PNG rows at a time.

   A pixel's segment id is R + 256 G + 65536 B; a pair key is gt_id << 32 | pred_id. Rows
   are counted from the row above them: the image's first row adds `weight` (the image's
   height) to the pair of each of its runs, and a later row y moves `weight` (height - y)
   from the pair above to its own pair wherever the pair changed. Summed down a column,
   every pair then counts once for each row it covers (a run of rows [a, b) of one pair adds
   (height - a) and takes (height - b)), so rows equal to the row above cost nothing. */
#ifndef FASTIOU_RGB_ROWS_H
#define FASTIOU_RGB_ROWS_H

#include "fastiou_simd.h"

/* a free slot of a pair table (no pair key is this large: ids are below 2**24) */
#define FIOU_EMPTY_KEY UINT64_MAX
/* Fibonacci hashing: the multiplier spreads neighbouring keys over the table */
#define FIOU_GOLDEN 0x9E3779B97F4A7C15ULL

/* An open-addressing hash table of pair keys and their (weighted) pixel counts. */
typedef struct {
    uint64_t* keys;       /* FIOU_EMPTY_KEY marks a free slot */
    int64_t* counts;
    ptrdiff_t capacity;   /* a power of two */
    int shift;            /* 64 - log2(capacity) */
    ptrdiff_t used;       /* occupied slots */
    int full;             /* a new key found the table half full: it was not counted */
} fiou_pair_table;

/* Add n (of either sign) to the count of `key`. A key keeps its slot for good (a count
   may pass through 0 on the way), so a free slot ends every probe. */
static inline void fiou_pair_add(fiou_pair_table* table, uint64_t key, int64_t n) {
    size_t mask = (size_t)table->capacity - 1;
    size_t slot = (size_t)((key * FIOU_GOLDEN) >> table->shift);
    while (table->keys[slot] != FIOU_EMPTY_KEY) {
        if (table->keys[slot] == key) {
            table->counts[slot] += n;
            return;
        }
        slot = (slot + 1) & mask;
    }
    if (2 * (table->used + 1) > table->capacity) {
        table->full = 1;
        return;
    }
    table->keys[slot] = key;
    table->counts[slot] = n;
    table->used++;
}

/* Whether the n bytes at `bytes` are all zero. */
static inline int fiou_all_zero_scalar(const uint8_t* bytes, ptrdiff_t n) {
    ptrdiff_t i = 0;
    uint64_t w0, w1, w2, w3;
    for (; i + 32 <= n; i += 32) {
        memcpy(&w0, bytes + i, 8);
        memcpy(&w1, bytes + i + 8, 8);
        memcpy(&w2, bytes + i + 16, 8);
        memcpy(&w3, bytes + i + 24, 8);
        if (w0 | w1 | w2 | w3) return 0;
    }
    for (; i + 8 <= n; i += 8) {
        memcpy(&w0, bytes + i, 8);
        if (w0) return 0;
    }
    for (; i < n; i++)
        if (bytes[i]) return 0;
    return 1;
}

/* The length of the common prefix of the n bytes at a and at b (n when they are equal);
   a and b may overlap (a pixel's bytes against the pixel before it). */
static inline ptrdiff_t fiou_same_prefix_scalar(const uint8_t* a, const uint8_t* b,
                                                ptrdiff_t n) {
    ptrdiff_t i = 0;
    uint64_t a0, a1, a2, a3, b0, b1, b2, b3;
    for (; i + 32 <= n; i += 32) {
        memcpy(&a0, a + i, 8); memcpy(&b0, b + i, 8);
        memcpy(&a1, a + i + 8, 8); memcpy(&b1, b + i + 8, 8);
        memcpy(&a2, a + i + 16, 8); memcpy(&b2, b + i + 16, 8);
        memcpy(&a3, a + i + 24, 8); memcpy(&b3, b + i + 24, 8);
        if ((a0 ^ b0) | (a1 ^ b1) | (a2 ^ b2) | (a3 ^ b3)) break;
    }
    for (; i + 8 <= n; i += 8) {
        memcpy(&a0, a + i, 8); memcpy(&b0, b + i, 8);
        if (a0 ^ b0) break;
    }
    for (; i < n; i++)
        if (a[i] != b[i]) return i;
    return n;
}

#ifdef FIOU_X86
/* The same with AVX2, 32 bytes a compare (128 a test for zeros). */
FIOU_AVX2 static inline int fiou_all_zero_avx2(const uint8_t* bytes, ptrdiff_t n) {
    ptrdiff_t i = 0;
    for (; i + 128 <= n; i += 128) {
        __m256i x = _mm256_or_si256(
            _mm256_or_si256(_mm256_loadu_si256((const __m256i*)(bytes + i)),
                            _mm256_loadu_si256((const __m256i*)(bytes + i + 32))),
            _mm256_or_si256(_mm256_loadu_si256((const __m256i*)(bytes + i + 64)),
                            _mm256_loadu_si256((const __m256i*)(bytes + i + 96))));
        if (!_mm256_testz_si256(x, x)) return 0;
    }
    return fiou_all_zero_scalar(bytes + i, n - i);
}

FIOU_AVX2 static inline ptrdiff_t fiou_same_prefix_avx2(const uint8_t* a, const uint8_t* b,
                                                        ptrdiff_t n) {
    ptrdiff_t i = 0;
    for (; i + 32 <= n; i += 32) {
        unsigned differ = ~(unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(
            _mm256_loadu_si256((const __m256i*)(a + i)), _mm256_loadu_si256((const __m256i*)(b + i))));
        if (differ) return i + __builtin_ctz(differ);
    }
    return i + fiou_same_prefix_scalar(a + i, b + i, n - i);
}

/* The same with AVX-512, 64 bytes a compare (256 a test for zeros). */
FIOU_AVX512 static inline int fiou_all_zero_avx512(const uint8_t* bytes, ptrdiff_t n) {
    ptrdiff_t i = 0;
    for (; i + 256 <= n; i += 256) {
        __m512i x = _mm512_or_si512(
            _mm512_or_si512(_mm512_loadu_si512(bytes + i), _mm512_loadu_si512(bytes + i + 64)),
            _mm512_or_si512(_mm512_loadu_si512(bytes + i + 128),
                            _mm512_loadu_si512(bytes + i + 192)));
        if (_mm512_test_epi64_mask(x, x)) return 0;
    }
    return fiou_all_zero_avx2(bytes + i, n - i);
}

FIOU_AVX512 static inline ptrdiff_t fiou_same_prefix_avx512(const uint8_t* a, const uint8_t* b,
                                                            ptrdiff_t n) {
    ptrdiff_t i = 0;
    for (; i + 64 <= n; i += 64) {
        uint64_t differ = _mm512_cmpneq_epi8_mask(_mm512_loadu_si512(a + i),
                                                  _mm512_loadu_si512(b + i));
        if (differ) return i + __builtin_ctzll(differ);
    }
    if (i < n) {  /* the last bytes, masked */
        __mmask64 in = ((__mmask64)1 << (n - i)) - 1;
        uint64_t differ = _mm512_cmpneq_epi8_mask(_mm512_maskz_loadu_epi8(in, a + i),
                                                  _mm512_maskz_loadu_epi8(in, b + i));
        if (differ) return i + __builtin_ctzll(differ);
    }
    return n;
}
#endif /* FIOU_X86 */

/* Whether the n bytes at `bytes` are all zero, with the loop of SIMD `level`. */
static inline int fiou_all_zero(int level, const uint8_t* bytes, ptrdiff_t n) {
#ifdef FIOU_X86
    if (level >= 2) return fiou_all_zero_avx512(bytes, n);
    if (level >= 1) return fiou_all_zero_avx2(bytes, n);
#else
    (void)level;
#endif
    return fiou_all_zero_scalar(bytes, n);
}

/* The id of pixel i of a row of `bpp` (3 or 4) bytes a pixel. */
static inline uint64_t fiou_rgb_id(const uint8_t* row, ptrdiff_t i, ptrdiff_t bpp) {
    const uint8_t* pixel = row + i * bpp;
    return (uint64_t)pixel[0] | ((uint64_t)pixel[1] << 8) | ((uint64_t)pixel[2] << 16);
}

/* The row loops for one ISA, comparing bytes with SAME_PREFIX:

   fiou_run_end_ISA(row, bpp, i, stop): the first pixel >= i + 1 (at most `stop`) whose
   bytes differ from the pixel before it, in a row of `bpp` bytes a pixel: pixels
   [i, result) are all pixel i.

   fiou_count_rgb_row_ISA: the first row of an image (or of any count): each run of one pair
   adds `weight` for each of its pixels. g and p are rows of `width` pixels, gb and pb
   bytes each.

   fiou_count_rgb_changes_ISA: a row (g, p) counted from the row above it (g_above,
   p_above): wherever the pair of a pixel differs from the pair above it, `weight` moves from
   the pair above to the new one. The unchanged stretches are passed over many bytes at a
   time (not compared at all in an image whose row is the row above: the same pointer); a
   changed stretch is taken in runs along which both the new and the old pair stay the
   same. */
#define FIOU_DEFINE_RGB_ROWS(ISA, ATTR, SAME_PREFIX)                                           \
ATTR static inline ptrdiff_t fiou_run_end_##ISA(const uint8_t* row, ptrdiff_t bpp,             \
                                                ptrdiff_t i, ptrdiff_t stop) {                 \
    if (i + 1 >= stop) return stop;                                                           \
    return i + 1 + SAME_PREFIX(row + (i + 1) * bpp, row + i * bpp, (stop - i - 1) * bpp) / bpp;\
}                                                                                             \
ATTR static inline void fiou_count_rgb_row_##ISA(const uint8_t* g, ptrdiff_t gb,               \
        const uint8_t* p, ptrdiff_t pb, ptrdiff_t width, int64_t weight,                      \
        fiou_pair_table* table) {                                                             \
    ptrdiff_t i = 0, end;                                                                     \
    while (i < width) {                                                                       \
        end = fiou_run_end_##ISA(g, gb, i, width);                                            \
        end = fiou_run_end_##ISA(p, pb, i, end);                                              \
        fiou_pair_add(table, (fiou_rgb_id(g, i, gb) << 32) | fiou_rgb_id(p, i, pb),           \
                      weight * (end - i));                                                    \
        i = end;                                                                              \
    }                                                                                         \
}                                                                                             \
ATTR static inline void fiou_count_rgb_changes_##ISA(const uint8_t* g,                         \
        const uint8_t* g_above, ptrdiff_t gb, const uint8_t* p, const uint8_t* p_above,       \
        ptrdiff_t pb, ptrdiff_t width, int64_t weight, fiou_pair_table* table) {              \
    ptrdiff_t i = 0, end;                                                                     \
    uint64_t now, before;                                                                     \
    int g_same = g == g_above, p_same = p == p_above;                                         \
    while (i < width) {                                                                       \
        /* the next pixel whose bytes differ from the pixel above it, in either image */      \
        end = g_same ? width : i + SAME_PREFIX(g + i * gb, g_above + i * gb, (width - i) * gb) / gb;\
        i = p_same ? end : i + SAME_PREFIX(p + i * pb, p_above + i * pb, (end - i) * pb) / pb;\
        if (i >= width) return;                                                               \
        end = fiou_run_end_##ISA(g, gb, i, width);                                            \
        end = fiou_run_end_##ISA(p, pb, i, end);                                              \
        if (!g_same) end = fiou_run_end_##ISA(g_above, gb, i, end);                           \
        if (!p_same) end = fiou_run_end_##ISA(p_above, pb, i, end);                           \
        now = (fiou_rgb_id(g, i, gb) << 32) | fiou_rgb_id(p, i, pb);                          \
        before = (fiou_rgb_id(g_above, i, gb) << 32) | fiou_rgb_id(p_above, i, pb);           \
        if (now != before) {  /* (an RGBA pixel may differ in its alpha alone) */             \
            fiou_pair_add(table, now, weight * (end - i));                                    \
            fiou_pair_add(table, before, -weight * (end - i));                                \
        }                                                                                     \
        i = end;                                                                              \
    }                                                                                         \
}
FIOU_DEFINE_RGB_ROWS(scalar, , fiou_same_prefix_scalar)
#ifdef FIOU_X86
FIOU_DEFINE_RGB_ROWS(avx2, FIOU_AVX2, fiou_same_prefix_avx2)
FIOU_DEFINE_RGB_ROWS(avx512, FIOU_AVX512, fiou_same_prefix_avx512)
#endif

/* A first row counted with the loop of SIMD `level` (fiou_count_rgb_row_ISA). */
static inline void fiou_count_rgb_row(int level, const uint8_t* g, ptrdiff_t gb,
                                      const uint8_t* p, ptrdiff_t pb, ptrdiff_t width,
                                      int64_t weight, fiou_pair_table* table) {
#ifdef FIOU_X86
    if (level >= 2) { fiou_count_rgb_row_avx512(g, gb, p, pb, width, weight, table); return; }
    if (level >= 1) { fiou_count_rgb_row_avx2(g, gb, p, pb, width, weight, table); return; }
#else
    (void)level;
#endif
    fiou_count_rgb_row_scalar(g, gb, p, pb, width, weight, table);
}

/* A row counted from the row above with the loop of SIMD `level`
   (fiou_count_rgb_changes_ISA). */
static inline void fiou_count_rgb_changes(int level, const uint8_t* g, const uint8_t* g_above,
                                          ptrdiff_t gb, const uint8_t* p,
                                          const uint8_t* p_above, ptrdiff_t pb,
                                          ptrdiff_t width, int64_t weight,
                                          fiou_pair_table* table) {
#ifdef FIOU_X86
    if (level >= 2) {
        fiou_count_rgb_changes_avx512(g, g_above, gb, p, p_above, pb, width, weight, table);
        return;
    }
    if (level >= 1) {
        fiou_count_rgb_changes_avx2(g, g_above, gb, p, p_above, pb, width, weight, table);
        return;
    }
#else
    (void)level;
#endif
    fiou_count_rgb_changes_scalar(g, g_above, gb, p, p_above, pb, width, weight, table);
}

#endif /* FASTIOU_RGB_ROWS_H */
