/* Run skipping for compat/_instances.pyx (cityscapesScripts' instance statistics).
   Declared from _instances.pxd; compiled into that module only. */
#ifndef FASTIOU_INSTANCE_RUNS_H
#define FASTIOU_INSTANCE_RUNS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The first i' >= i (8 pixels at a time) where the run of instance id `value` and
   prediction `label` may end: 16-bit ids and 8-bit predictions compared a word at a
   time. Label maps come in long runs, so most pixels are passed over here. */
static inline ptrdiff_t fiou_skip_run_u16_u8(const uint16_t* instances,
                                             const uint8_t* pred, ptrdiff_t i,
                                             ptrdiff_t n, uint16_t value, uint8_t label) {
    const uint64_t values = 0x0001000100010001ULL * value;
    const uint64_t labels = 0x0101010101010101ULL * label;
    uint64_t a, b, c;
    while (i + 8 <= n) {
        memcpy(&a, instances + i, 8);
        memcpy(&b, instances + i + 4, 8);
        memcpy(&c, pred + i, 8);
        if ((a ^ values) | (b ^ values) | (c ^ labels))
            break;
        i += 8;
    }
    return i;
}

/* The first i' >= i (8 pixels at a time) where an id may have a bit of `high_bits`:
   pixels whose ids are all below the lowest of those bits are no instance, whatever
   their prediction. */
static inline ptrdiff_t fiou_skip_small_u16(const uint16_t* instances, ptrdiff_t i,
                                            ptrdiff_t n, uint16_t high_bits) {
    const uint64_t mask = 0x0001000100010001ULL * high_bits;
    uint64_t a, b;
    while (i + 8 <= n) {
        memcpy(&a, instances + i, 8);
        memcpy(&b, instances + i + 4, 8);
        if ((a | b) & mask)
            break;
        i += 8;
    }
    return i;
}

#endif /* FASTIOU_INSTANCE_RUNS_H */
