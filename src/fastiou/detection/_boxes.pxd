# The C rows of _boxes.pyx (include/fastiou_box_rows.h): the plain IoU rows, built for
# AVX-512 and AVX2 too, and the sparse AVX-512 rows.

cdef extern from "fastiou_box_rows.h":
    void fastiou_iou_row_f32(float ax1, float ay1, float ax2, float ay2, float area,
                             const float* x1, const float* y1, const float* x2, const float* y2,
                             const float* areas, Py_ssize_t m, float offset,
                             float* out) noexcept nogil
    void fastiou_iou_row_f64(double ax1, double ay1, double ax2, double ay2, double area,
                             const double* x1, const double* y1, const double* x2,
                             const double* y2, const double* areas, Py_ssize_t m,
                             double offset, double* out) noexcept nogil
    void fastiou_iou_rows_f32(const float* rows, Py_ssize_t row_stride, Py_ssize_t first,
                              Py_ssize_t last, const float* cols, Py_ssize_t m, float offset,
                              float* out, int sparse) noexcept nogil
    void fastiou_iou_rows_f64(const double* rows, Py_ssize_t row_stride, Py_ssize_t first,
                              Py_ssize_t last, const double* cols, Py_ssize_t m, double offset,
                              double* out, int sparse) noexcept nogil
    int fastiou_sparse_allowed
    int fastiou_sparse_detected
    int fastiou_sparse_available() noexcept nogil
