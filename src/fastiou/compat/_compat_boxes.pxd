# The C of _compat_boxes.pyx (include/fastiou_compat_box_rows.h).

from libc.stdint cimport uint8_t

cdef extern from "fastiou_compat_box_rows.h":
    # the per-box columns (each n long) the row loops read, in the header's order
    enum:
        X1 "FASTIOU_CB_X1"
        Y1 "FASTIOU_CB_Y1"
        X2 "FASTIOU_CB_X2"
        Y2 "FASTIOU_CB_Y2"
        AREA "FASTIOU_CB_AREA"
        CX "FASTIOU_CB_CX"
        CY "FASTIOU_CB_CY"
        FIELDS "FASTIOU_CB_FIELDS"

    void fastiou_tv_row_f32(const float* row, Py_ssize_t rs, const float* cols, Py_ssize_t m,
                            int mode, float eps, float k, float angle, const float* angles,
                            float* out) noexcept nogil
    void fastiou_tv_row_f64(const double* row, Py_ssize_t rs, const double* cols, Py_ssize_t m,
                            int mode, double eps, double k, double angle, const double* angles,
                            double* out) noexcept nogil
    void fastiou_mm_row_f32(const float* row, Py_ssize_t rs, const float* cols, Py_ssize_t m,
                            int mode, float eps, float* out) noexcept nogil
    void fastiou_mm_row_f64(const double* row, Py_ssize_t rs, const double* cols, Py_ssize_t m,
                            int mode, double eps, double* out) noexcept nogil
    void fastiou_mm_row_f32_aligned(const float* rows, const float* cols, Py_ssize_t n,
                                    Py_ssize_t first, Py_ssize_t last, int mode, float eps,
                                    float* out) noexcept nogil
    void fastiou_mm_row_f64_aligned(const double* rows, const double* cols, Py_ssize_t n,
                                    Py_ssize_t first, Py_ssize_t last, int mode, double eps,
                                    double* out) noexcept nogil
    int fastiou_cython_bbox_row(double bx1, double by1, double bx2, double by2,
                                const double* cols, Py_ssize_t m, double* out) noexcept nogil
    void fastiou_coco_row(double dx1, double dy1, double dw, double dh, const double* cols,
                          const uint8_t* crowd, Py_ssize_t m, double* out) noexcept nogil
