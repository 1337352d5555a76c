/* fastiou_box_rows.h: the plain IoU rows of fastiou._boxes (declared in _boxes.pxd), in C
   so that GCC builds AVX-512 and AVX2 copies of them, and sparse AVX-512 rows.

   Included by _boxes.pyx alone: the two `#pragma GCC optimize` lines below apply to the rest
   of that module's C as well (they did when this code was a verbatim block in the .pyx). */
#ifndef FASTIOU_BOX_ROWS_H
#define FASTIOU_BOX_ROWS_H

#include <stddef.h>
/* The pair loops are selects, min/max and one division: GCC vectorises them only when
   it may assume that floating-point comparisons do not trap. Values are unchanged. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize ("no-trapping-math")
/* No fused multiply-add contraction: the AVX-512 clone (which has FMA) then rounds
   exactly as the AVX2 and baseline copies do, so results never depend on the CPU. */
#pragma GCC optimize ("fp-contract=off")
#endif

/* The plain IoU row, the hot path, is C so that GCC can also build AVX-512 and AVX2
   copies, picked at load time on CPUs that have them (GCC, x86-64, glibc: an ifunc);
   elsewhere one baseline build. Same values as the Cython rows give.

   The float loop is bound by its vector operations (the division is not the limit),
   and two details cut them from 20 to 16 per block of pairs:
   - 0 and 1 are read from volatile storage rather than written as literals: with a
     literal operand GCC builds each clamp `w > 0 ? w : 0` and the cap at 1 as a
     compare and a select, with a variable one as a single max or min instruction.
     The C semantics, and so every value, are the same.
   - offset 0 skips the two additions: adding +0 only turns -0 into +0, and the clamp
     at 0 gives +0 for both. */
#include <stdlib.h>
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__GLIBC__)
#define FASTIOU_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define FASTIOU_CLONES
#endif
/* the row body goes into each clone (compiled for its instruction set), never called */
#if defined(__GNUC__)
#define FASTIOU_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define FASTIOU_ALWAYS_INLINE inline
#endif
/* out[J] from the intersection of pair J: the one formula of the dense loop and of the
   sparse rows' scalar pass, so both give every value alike */
#define FASTIOU_STORE_IOU(T, J, INTER, ZERO, ONE)                                       \
    {                                                                                   \
        T uni = area + areas[J] - (INTER);                                              \
        T iou = (INTER) / (uni > (ZERO) ? uni : (ONE));                                 \
        out[J] = iou < (ONE) ? iou : (ONE);                                             \
    }
#define FASTIOU_IOU_LOOP(T, START, COUNT, PLUS_OFFSET)                                 \
    for (ptrdiff_t k = 0; k < (COUNT); k++) {                                           \
        ptrdiff_t j = (START) + k;                                                      \
        T w = (ax2 < x2[j] ? ax2 : x2[j]) - (ax1 > x1[j] ? ax1 : x1[j]) PLUS_OFFSET;     \
        T h = (ay2 < y2[j] ? ay2 : y2[j]) - (ay1 > y1[j] ? ay1 : y1[j]) PLUS_OFFSET;     \
        T inter = (w > zero ? w : zero) * (h > zero ? h : zero);                         \
        FASTIOU_STORE_IOU(T, j, inter, zero, one)                                        \
    }
/* The last m % 16 pairs (of m >= 16) are done as one block of 16 that overlaps the
   previous block (its values are recomputed, identically): a loop of constant length
   that the compiler vectorises, where the remainder would otherwise run one pair at a
   time (150 columns: 6 scalar pairs per row, ~30 % of the row's time). */
#define FASTIOU_IOU_ROW_LOOPS(T, PLUS_OFFSET)                                           \
    if (m < 16) {                                                                       \
        FASTIOU_IOU_LOOP(T, 0, m, PLUS_OFFSET)                                          \
    } else {                                                                            \
        FASTIOU_IOU_LOOP(T, 0, m - m % 16, PLUS_OFFSET)                                 \
        if (m % 16 != 0) {                                                              \
            FASTIOU_IOU_LOOP(T, m - 16, 16, PLUS_OFFSET)                                \
        }                                                                               \
    }
#define FASTIOU_IOU_ROW(NAME, T)                                                        \
static FASTIOU_ALWAYS_INLINE void NAME##_body(T ax1, T ay1, T ax2, T ay2, T area,     \
                                              const T* x1, const T* y1, const T* x2,  \
                                              const T* y2, const T* areas, ptrdiff_t m, \
                                              T offset, T* out) {                     \
    static volatile const T zero_source = 0, one_source = 1;                           \
    const T zero = zero_source, one = one_source;                                      \
    if (offset == 0) {                                                                 \
        FASTIOU_IOU_ROW_LOOPS(T, )                                                     \
    } else {                                                                           \
        FASTIOU_IOU_ROW_LOOPS(T, + offset)                                             \
    }                                                                                  \
}                                                                                      \
FASTIOU_CLONES static void NAME(T ax1, T ay1, T ax2, T ay2, T area, const T* x1,       \
                                const T* y1, const T* x2, const T* y2, const T* areas, \
                                ptrdiff_t m, T offset, T* out) {                       \
    NAME##_body(ax1, ay1, ax2, ay2, area, x1, y1, x2, y2, areas, m, offset, out);      \
}                                                                                      \
/* Rows first..last-1 of one batch in one call (a call per row costs ~10 ns, ~15 % of \
   a 200-column row): `rows` and `cols` are the X1, Y1, X2, Y2, AREA columns, each    \
   `row_stride` and `m` long; row i goes to out + (i - first) * m. */                 \
FASTIOU_CLONES static void NAME##s(const T* rows, ptrdiff_t row_stride, ptrdiff_t first,  \
                                   ptrdiff_t last, const T* cols, ptrdiff_t m,          \
                                   T offset, T* out) {                                  \
    for (ptrdiff_t i = first; i < last; i++) {                                         \
        NAME##_body(rows[i], rows[row_stride + i], rows[2 * row_stride + i],           \
                    rows[3 * row_stride + i], rows[4 * row_stride + i], cols, cols + m, \
                    cols + 2 * m, cols + 3 * m, cols + 4 * m, m, offset,               \
                    out + (i - first) * m);                                            \
    }                                                                                  \
}
FASTIOU_IOU_ROW(fastiou_iou_row_f32, float)
FASTIOU_IOU_ROW(fastiou_iou_row_f64, double)

/* Plain IoU rows on AVX-512 CPUs: the division only where it can change the value.
   In the benchmark's detection boxes ~4 % of pairs overlap, and the dense rows are
   bound by the vector division (float64 200x200: 22 us, 12.5 us without it). A pair
   whose intersection is +0 has IoU +0 whatever its union (0 / d with d > 0 or d = 1,
   then the cap). So each block of 8 (float64) or 16 (float32) columns stores every
   pair's intersection as its result, and the bits of the pairs whose intersection is
   not +0 (NaN included) are gathered in one integer per 64 columns; after a chunk of
   the row, those few pairs are finished with the scalar formula, the same IEEE
   operations in the same order, so every value is the one the dense loop gives.
   Standalone harness (min of 4000 runs): float64 200x200 22.4 us dense, 14.3 us when
   the columns were collected with a compress-store, ~11 us with the bits; float32
   200x200 8.4 -> 6.4 us, but 1000x1000 185 us dense, 214 us sparse (its output streams
   to memory), hence SPARSE_FLOAT32_PAIRS below. Intrinsics, so one explicit AVX-512
   function per type chosen at run time, with the target_clones rows everywhere else
   (and whenever `fastiou_sparse_allowed` is 0: the tests compare both). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#include <immintrin.h>
#include <stdint.h>
#define FASTIOU_SPARSE_CHUNK 4096
static int fastiou_sparse_allowed = 1;

static int fastiou_sparse_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") != 0;
}

/* One block of columns from J: w, h and the intersection as the C loop computes them
   (min(a, b) is `a < b ? a : b`, max `a > b ? a : b`), stored as the result; the bits
   of the columns whose intersection is not +0 or-ed into `hits` from bit SHIFT. */
#define FASTIOU_SPARSE_BLOCK(V, S, LANES, LOAD, STORE, J, SHIFT)                         \
    {                                                                                     \
        V w = _mm512_sub_##S(_mm512_min_##S(vax2, LOAD(x2 + (J))),                        \
                             _mm512_max_##S(vax1, LOAD(x1 + (J))));                       \
        V h = _mm512_sub_##S(_mm512_min_##S(vay2, LOAD(y2 + (J))),                        \
                             _mm512_max_##S(vay1, LOAD(y1 + (J))));                       \
        if (add_offset) {                                                                 \
            w = _mm512_add_##S(w, voffset);                                               \
            h = _mm512_add_##S(h, voffset);                                               \
        }                                                                                 \
        V inter = _mm512_mul_##S(_mm512_max_##S(w, vzero), _mm512_max_##S(h, vzero));    \
        STORE;                                                                            \
        hits |= (uint64_t)_mm512_mask_cmp_##S##_mask(LANES, inter, vzero, _CMP_NEQ_UQ)    \
                << (SHIFT);                                                               \
    }
/* the pairs whose bit is set in `hits`, column BASE + bit: the IoU from the stored
   intersection, as the dense loop computes it */
#define FASTIOU_SPARSE_FINISH(T, BASE)                                                    \
    while (hits) {                                                                        \
        ptrdiff_t c = (BASE) + __builtin_ctzll(hits);                                     \
        hits &= hits - 1;                                                                 \
        T inter = out[c];                                                                 \
        FASTIOU_STORE_IOU(T, c, inter, (T)0, (T)1)                                        \
    }
/* NAME(rows, row_stride, first, last, cols, m, offset, out): the plain IoU rows of
   fastiou_iou_row_*s (same arguments, same values), T with vector type V, intrinsic
   suffix S and LANES columns (a mask of type MASK) per block */
#define FASTIOU_SPARSE_ROWS(NAME, T, V, S, LANES, MASK)                                   \
__attribute__((target("avx512f,bmi"))) static inline __attribute__((always_inline)) void \
NAME##_body(T ax1, T ay1, T ax2, T ay2, T area, const T* x1, const T* y1, const T* x2,    \
            const T* y2, const T* areas, ptrdiff_t m, T offset, int add_offset, T* out) { \
    const V vax1 = _mm512_set1_##S(ax1), vay1 = _mm512_set1_##S(ay1);                     \
    const V vax2 = _mm512_set1_##S(ax2), vay2 = _mm512_set1_##S(ay2);                     \
    const V voffset = _mm512_set1_##S(offset), vzero = _mm512_setzero_##S();              \
    const MASK all = (MASK)~0u;                                                           \
    for (ptrdiff_t start = 0; start < m; start += FASTIOU_SPARSE_CHUNK) {                  \
        ptrdiff_t stop = m - start < FASTIOU_SPARSE_CHUNK ? m : start + FASTIOU_SPARSE_CHUNK; \
        uint64_t words[FASTIOU_SPARSE_CHUNK / 64 + 1], hits;                              \
        ptrdiff_t j = start, g = 0, base;                                                 \
        for (; j + 64 <= stop; j += 64, g++) {                                            \
            hits = 0;                                                                     \
            for (int q = 0; q < 64 / (LANES); q++)                                        \
                FASTIOU_SPARSE_BLOCK(V, S, all, _mm512_loadu_##S,                         \
                                     _mm512_storeu_##S(out + j + (LANES) * q, inter),     \
                                     j + (LANES) * q, (LANES) * q)                        \
            words[g] = hits;                                                              \
        }                                                                                 \
        hits = 0;                                                                         \
        for (base = j; j + (LANES) <= stop; j += (LANES))                                 \
            FASTIOU_SPARSE_BLOCK(V, S, all, _mm512_loadu_##S,                             \
                                 _mm512_storeu_##S(out + j, inter), j, j - base)          \
        if (j < stop) {                                                                   \
            /* the last columns: masked loads and stores, no column twice */              \
            MASK tail = (MASK)((1u << (stop - j)) - 1);                                   \
            FASTIOU_SPARSE_BLOCK(V, S, tail, FASTIOU_TAIL_LOAD_##S,                       \
                                 _mm512_mask_storeu_##S(out + j, tail, inter), j, j - base) \
        }                                                                                 \
        words[g] = hits;                                                                  \
        /* finished after the whole chunk: between stores of a row that streams to   \
           memory, the scalar stores cost more (float32 1000x1000: 311 -> 214 us) */  \
        for (ptrdiff_t k = 0; k <= g; k++) {                                              \
            hits = words[k];                                                              \
            FASTIOU_SPARSE_FINISH(T, start + 64 * k)                                      \
        }                                                                                 \
    }                                                                                     \
}                                                                                         \
__attribute__((target("avx512f,bmi"))) static void NAME(                                  \
        const T* rows, ptrdiff_t row_stride, ptrdiff_t first, ptrdiff_t last,             \
        const T* cols, ptrdiff_t m, T offset, T* out) {                                   \
    for (ptrdiff_t i = first; i < last; i++) {                                            \
        const T* r = rows + i;                                                            \
        /* offset 0 skips the two additions, as the C loop does (same values) */         \
        NAME##_body(r[0], r[row_stride], r[2 * row_stride], r[3 * row_stride],            \
                    r[4 * row_stride], cols, cols + m, cols + 2 * m, cols + 3 * m,        \
                    cols + 4 * m, m, offset, offset != 0, out + (i - first) * m);         \
    }                                                                                     \
}
#define FASTIOU_TAIL_LOAD_pd(ptr) _mm512_maskz_loadu_pd(tail, ptr)
#define FASTIOU_TAIL_LOAD_ps(ptr) _mm512_maskz_loadu_ps(tail, ptr)
FASTIOU_SPARSE_ROWS(fastiou_sparse_rows_f64, double, __m512d, pd, 8, __mmask8)
FASTIOU_SPARSE_ROWS(fastiou_sparse_rows_f32, float, __m512, ps, 16, __mmask16)
#else
static int fastiou_sparse_allowed = 0;
static int fastiou_sparse_available(void) { return 0; }
#define fastiou_sparse_rows_f64 fastiou_iou_row_f64s
#define fastiou_sparse_rows_f32 fastiou_iou_row_f32s
#endif
/* set once when the module is imported, before any thread reads it */
static int fastiou_sparse_detected = 0;

/* plain IoU rows: the sparse AVX-512 rows when `sparse` and they are available and
   allowed */
#define FASTIOU_IOU_ROWS(T, SUFFIX)                                                        \
static void fastiou_iou_rows_##SUFFIX(const T* rows, ptrdiff_t row_stride, ptrdiff_t first, \
                                      ptrdiff_t last, const T* cols, ptrdiff_t m,          \
                                      T offset, T* out, int sparse) {                      \
    if (sparse && fastiou_sparse_detected && fastiou_sparse_allowed)                       \
        fastiou_sparse_rows_##SUFFIX(rows, row_stride, first, last, cols, m, offset, out); \
    else                                                                                   \
        fastiou_iou_row_##SUFFIX##s(rows, row_stride, first, last, cols, m, offset, out);  \
}
FASTIOU_IOU_ROWS(double, f64)
FASTIOU_IOU_ROWS(float, f32)

#endif /* FASTIOU_BOX_ROWS_H */
