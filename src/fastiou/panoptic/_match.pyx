"""One image's panoptic matching (panopticapi's rules) from its overlap table, compiled.

Private: ``fastiou.panoptic._matching.image_stats`` passes the overlap table (sorted by
(ground-truth id, predicted id)) and the two segment tables (sorted by id) as int64 arrays
and calls :func:`match_segments`; when it reports bad input, the NumPy twin
``_matching.image_stats_numpy`` runs instead and says what is wrong. The two give the same
numbers: the same divisions in float64, the matched IoUs in the same (table) order.
"""

from libc.stdint cimport int64_t, uint8_t

import numpy as np

from fastiou._shared._sorted cimport find_sorted

cdef enum:
    MATCHED = 0
    BAD_INPUT = 1  # an id in a map its segments do not list, a listed prediction absent
                   # from its map, a listed ground-truth area too small


def match_segments(const int64_t[::1] g, const int64_t[::1] p, const int64_t[::1] counts,
                   const int64_t[::1] gt_ids, const int64_t[::1] gt_category,
                   const uint8_t[::1] gt_crowd, const int64_t[::1] gt_listed_area,
                   const int64_t[::1] gt_listed, const int64_t[::1] pred_ids,
                   const int64_t[::1] pred_category, Py_ssize_t n_categories):
    """``(tp_category, tp_iou, fp, fn)`` of one image, or None for bad input.

    `g`, `p`, `counts`: the overlap table, sorted by ``(g, p)`` (0 is void). `gt_ids` (sorted),
    `gt_category` (positions in ``[0, n_categories)``), `gt_crowd` (0/1), `gt_listed`
    (positions in segments_info) and `gt_listed_area` (the listed areas, or an empty array:
    the areas counted from the table) describe the ground-truth segments; `pred_ids` (sorted)
    and `pred_category` the predicted ones. A pair matches when its IoU exceeds 0.5 and the
    categories agree, the union leaving out the prediction's pixels on void; crowd ground
    truth is neither matched nor missed; an unmatched prediction is no false positive when
    more than half of it lies on void plus the last listed crowd segment of its category.
    None when an id of the table is not listed (0 apart), a listed prediction covers no
    pixel, or a listed ground-truth area is smaller than the pixels counted.
    """
    cdef Py_ssize_t n = g.shape[0], n_gt = gt_ids.shape[0], n_pred = pred_ids.shape[0]
    cdef Py_ssize_t k, i, j, c, n_tp = 0, status = MATCHED
    cdef bint listed_area = gt_listed_area.shape[0] == n_gt and n_gt > 0
    if p.shape[0] != n or counts.shape[0] != n or gt_category.shape[0] != n_gt or \
            gt_crowd.shape[0] != n_gt or gt_listed.shape[0] != n_gt or \
            pred_category.shape[0] != n_pred or \
            (gt_listed_area.shape[0] != n_gt and gt_listed_area.shape[0] != 0):
        raise ValueError("the overlap and segment tables do not agree in length")
    # where each pair's segments are (2n), the areas, the predictions' pixels on void and
    # on crowd, each category's crowd segment and its listed position, the matched flags
    work = np.zeros(2 * n + 2 * n_gt + 4 * n_pred + 2 * n_categories, dtype=np.int64)
    tp_category = np.empty(min(n_gt, n_pred), dtype=np.int64)
    tp_iou = np.empty(min(n_gt, n_pred), dtype=np.float64)
    fp_fn = np.zeros((2, n_categories), dtype=np.int64)
    cdef int64_t[::1] work_v = work
    cdef int64_t[::1] tp_category_v = tp_category
    cdef double[::1] tp_iou_v = tp_iou
    cdef int64_t[:, ::1] fp_fn_v = fp_fn
    cdef int64_t* gi = &work_v[0]
    cdef int64_t* pi = gi + n
    cdef int64_t* gt_area = pi + n
    cdef int64_t* pred_area = gt_area + n_gt
    cdef int64_t* void_pred = pred_area + n_pred
    cdef int64_t* ignored = void_pred + n_pred
    cdef int64_t* crowd_of = ignored + n_pred       # per category: its crowd segment, or -1
    cdef int64_t* crowd_listed = crowd_of + n_categories  # that segment's listed position
    cdef int64_t* gt_matched = crowd_listed + n_categories
    cdef int64_t* pred_matched = gt_matched + n_gt
    cdef int64_t* fp_v = &fp_fn_v[0, 0] if n_categories else NULL
    cdef int64_t* fn_v = fp_v + n_categories if n_categories else NULL
    cdef int64_t union
    cdef double iou
    with nogil:
        # where each pair's segments are; the areas; the predictions' pixels on void
        for k in range(n):
            gi[k] = find_sorted(&gt_ids[0], n_gt, g[k]) if n_gt else -1
            pi[k] = find_sorted(&pred_ids[0], n_pred, p[k]) if n_pred else -1
            if (gi[k] < 0 and g[k] != 0) or (pi[k] < 0 and p[k] != 0):
                status = BAD_INPUT
                break
            if gi[k] >= 0:
                gt_area[gi[k]] += counts[k]
            if pi[k] >= 0:
                pred_area[pi[k]] += counts[k]
                if g[k] == 0:
                    void_pred[pi[k]] += counts[k]
        for j in range(n_pred):
            if pred_area[j] == 0:
                status = BAD_INPUT
        if listed_area:
            for i in range(n_gt):
                if gt_listed_area[i] < gt_area[i]:
                    status = BAD_INPUT
                gt_area[i] = gt_listed_area[i]
        if status == MATCHED:
            # matches: IoU > 0.5, same category, the ground truth not crowd
            for k in range(n):
                i, j = gi[k], pi[k]
                if i < 0 or j < 0 or gt_crowd[i] or gt_category[i] != pred_category[j]:
                    continue
                union = pred_area[j] + gt_area[i] - counts[k] - void_pred[j]
                iou = <double>counts[k] / <double>union
                if iou > 0.5:
                    gt_matched[i] = pred_matched[j] = 1
                    tp_category_v[n_tp] = gt_category[i]
                    tp_iou_v[n_tp] = iou
                    n_tp += 1
            for i in range(n_gt):
                if not gt_matched[i] and not gt_crowd[i]:
                    fn_v[gt_category[i]] += 1
            # each category's crowd region: its last crowd segment in segments_info order
            for c in range(n_categories):
                crowd_of[c] = -1
            for i in range(n_gt):
                c = gt_category[i]
                if gt_crowd[i] and (crowd_of[c] < 0 or gt_listed[i] > crowd_listed[c]):
                    crowd_of[c], crowd_listed[c] = i, gt_listed[i]
            for j in range(n_pred):
                ignored[j] = void_pred[j]
            for k in range(n):
                i, j = gi[k], pi[k]
                if i >= 0 and j >= 0 and i == crowd_of[pred_category[j]]:
                    ignored[j] += counts[k]
            for j in range(n_pred):
                if not pred_matched[j] and \
                        not (<double>ignored[j] / <double>pred_area[j] > 0.5):
                    fp_v[pred_category[j]] += 1
    if status != MATCHED:
        return None
    return tp_category[:n_tp], tp_iou[:n_tp], fp_fn[0], fp_fn[1]
