# The states of a segment's keys as the COCO panoptic JSON reader (_coco_json.pyx) records
# them and json_segment_columns (_columns.pyx) reads them: two bits a key, in the order id,
# category_id, iscrowd, area (key k at bits 2k and 2k + 1).

cpdef enum:
    KEY_ABSENT = 0
    KEY_INT = 1     # a plain int (no fraction, no exponent) of at most 18 digits
    KEY_OTHER = 2   # any other JSON value
    NOT_AN_OBJECT = 0x100  # the element is no JSON object
