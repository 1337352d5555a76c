"""fastiou.dask on a real ``LocalCluster`` of two worker processes: results equal the
single-process ones exactly."""

import json

import numpy as np
import pytest

import fastiou
import fastiou.dask
from fastiou.cli import main

from labelmaps import expected_matrix, random_maps, write_folders

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
pytest.importorskip("PIL")

NUM_CLASSES = 7


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=":0", silence_logs=50)
    with distributed.Client(cluster, set_as_default=False) as connected:
        yield connected
    cluster.close()


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    pairs = random_maps(np.random.default_rng(4), 9, (20, 30), NUM_CLASSES, void=255)
    gt, pred = write_folders(str(tmp_path_factory.mktemp("dask")), pairs)
    return {"gt": gt, "pred": pred, "pairs": pairs}


def _file_pairs(data):
    from fastiou.evaluate._io import find_pairs

    return [(p.gt, p.pred) for p in find_pairs(data["gt"], data["pred"], "_gt").pairs]


def test_the_cluster_has_two_worker_processes(client):
    assert len(client.nthreads()) == 2
    assert len(set(client.run(lambda: __import__("os").getpid()).values())) == 2


@pytest.mark.parametrize("batch_size", [None, 1, 4, 100])
def test_evaluate_files_on_the_cluster_equals_one_process(client, dataset, batch_size):
    matrix = fastiou.dask.evaluate_files(_file_pairs(dataset), NUM_CLASSES, ignore_index=255,
                                         client=client, batch_size=batch_size)
    expected = expected_matrix(dataset["pairs"], NUM_CLASSES, (255,))
    assert matrix.dtype == np.int64
    np.testing.assert_array_equal(matrix, expected)


def test_evaluate_files_with_the_default_scheduler():
    pairs = []  # no files: the zero matrix, without starting anything
    np.testing.assert_array_equal(fastiou.dask.evaluate_files(pairs, 3), np.zeros((3, 3), np.int64))


def test_evaluate_files_local_threads(dataset):
    matrix = fastiou.dask.evaluate_files(_file_pairs(dataset), NUM_CLASSES, ignore_index=[255])
    np.testing.assert_array_equal(matrix, expected_matrix(dataset["pairs"], NUM_CLASSES, (255,)))


def test_worker_errors_come_back_naming_the_file(client, dataset):
    pairs = _file_pairs(dataset)
    with pytest.raises(ValueError, match=r"img\d{3}_gt\.png has .* outside \[0, 7\): 255"):
        fastiou.dask.evaluate_files(pairs, NUM_CLASSES, client=client)
    with pytest.raises(ValueError, match="does not exist"):
        fastiou.dask.evaluate_files([("nowhere.png", pairs[0][1])], NUM_CLASSES, client=client)


@pytest.mark.parametrize("bad,error,message", [
    ({"pairs": [("only-one",)]}, TypeError, "`pairs` must hold"),
    ({"batch_size": 0}, ValueError, "`batch_size` must be a positive int"),
    ({"label_map": 3}, TypeError, "`label_map` must be None, a dict or a str"),
    ({"num_classes": 0}, ValueError, "`num_classes` must be a positive int"),
])
def test_evaluate_files_argument_errors(dataset, bad, error, message):
    arguments = {"pairs": _file_pairs(dataset), "num_classes": NUM_CLASSES, **bad}
    with pytest.raises(error, match=message):
        fastiou.dask.evaluate_files(arguments.pop("pairs"), arguments.pop("num_classes"), **arguments)


def test_cli_on_the_cluster_equals_the_local_cli(client, dataset, capsys, tmp_path):
    address = client.scheduler.address
    argv = ["eval", dataset["gt"], dataset["pred"], "-n", str(NUM_CLASSES), "--ignore-index", "255",
            "--gt-suffix", "_gt", "--format", "json"]
    assert main(argv + ["--per-image", str(tmp_path / "local.csv")]) == 0
    local = json.loads(capsys.readouterr().out)
    assert main(argv + ["--dask-scheduler", address, "--batch-size", "2",
                        "--per-image", str(tmp_path / "dask.csv")]) == 0
    remote = json.loads(capsys.readouterr().out)
    for key in ("confusion_matrix", "classes", "mean", "overall", "counts"):
        assert remote[key] == local[key]
    assert remote["threads"]["dask_scheduler"] == address and remote["threads"]["cores"] == 2
    assert (tmp_path / "dask.csv").read_text() == (tmp_path / "local.csv").read_text()


@pytest.mark.parametrize("chunks", [(7, 11), (20, 33), (3, 64)])
@pytest.mark.parametrize("pred_chunks", ["same", (10, 10)])
def test_dask_arrays_on_the_cluster_equal_fastiou_confusion_matrix(client, chunks, pred_chunks):
    rng = np.random.default_rng(9)
    truth = rng.integers(0, NUM_CLASSES, (40, 66)).astype(np.int16)
    pred = rng.integers(0, NUM_CLASSES, (40, 66)).astype(np.uint8)
    truth[::5] = -1
    lazy = fastiou.dask.confusion_matrix(
        da.from_array(truth, chunks=chunks),
        da.from_array(pred, chunks=chunks if pred_chunks == "same" else pred_chunks),
        NUM_CLASSES, ignore_index=-1, split_every=2)
    assert lazy.shape == (NUM_CLASSES, NUM_CLASSES) and lazy.dtype == np.int64
    result = client.compute(lazy).result()
    np.testing.assert_array_equal(result, fastiou.confusion_matrix(truth, pred, NUM_CLASSES, ignore_index=-1))


@pytest.mark.parametrize("weight_shape", ["full", "row", "scalar"])
def test_dask_arrays_with_sample_weight_on_the_cluster(client, weight_shape):
    """Weights broadcast and rechunked to the labels; small-integer weights sum exactly in
    any order, so the chunked result equals the one-process one bit for bit."""
    rng = np.random.default_rng(4)
    truth = rng.integers(0, NUM_CLASSES, (30, 50)).astype(np.int32)
    pred = rng.integers(0, NUM_CLASSES, (30, 50)).astype(np.int32)
    weights = {"full": rng.integers(0, 5, (30, 50)) * 0.5, "row": rng.integers(0, 5, 50) * 0.25,
               "scalar": 2.0}[weight_shape]
    lazy = fastiou.dask.confusion_matrix(
        da.from_array(truth, chunks=(7, 13)), da.from_array(pred, chunks=(7, 13)), NUM_CLASSES,
        sample_weight=weights if np.isscalar(weights) else da.from_array(weights, chunks=9))
    assert lazy.dtype == np.float64
    result = client.compute(lazy).result()
    expected = fastiou.confusion_matrix(truth, pred, NUM_CLASSES, sample_weight=weights)
    assert result.dtype == np.float64
    np.testing.assert_array_equal(result, expected)


def test_dask_arrays_negative_weights_raise_at_compute():
    truth = da.from_array(np.array([0, 1, 1]), chunks=2)
    lazy = fastiou.dask.confusion_matrix(truth, truth, 2, sample_weight=np.array([1.0, -1.0, 1.0]))
    with pytest.raises(ValueError, match="`sample_weight`"):
        lazy.compute()


def test_dask_arrays_tree_sum_depth_grows_with_log_of_chunks():
    import dask

    truth = da.zeros(64, dtype=np.uint8, chunks=1)
    lazy = fastiou.dask.confusion_matrix(truth, truth, 2, split_every=4)
    graph = dict(dask.optimize(lazy)[0].__dask_graph__())
    summing = [key for key in graph if "add_all" in str(key)]
    assert len(summing) == 16 + 4 + 1  # 64 chunk matrices -> 16 -> 4 -> 1
    np.testing.assert_array_equal(lazy.compute(), [[64, 0], [0, 0]])


def test_dask_arrays_out_of_range_raise_at_compute():
    truth = da.from_array(np.array([0, 1, 5]), chunks=2)
    lazy = fastiou.dask.confusion_matrix(truth, truth, 2)
    with pytest.raises(ValueError, match="outside"):
        lazy.compute()
    np.testing.assert_array_equal(
        fastiou.dask.confusion_matrix(truth, truth, 2, out_of_range="ignore").compute(), [[1, 0], [0, 1]])


@pytest.mark.parametrize("kwargs,error,message", [
    ({"y_pred": np.zeros(4)}, TypeError, "`y_pred` must hold integer or bool labels"),
    ({"y_pred": np.zeros(5, dtype=int)}, ValueError, "`y_pred` has shape"),
    ({"out_of_range": "clip"}, ValueError, "`out_of_range` must be one of"),
    ({"split_every": 1}, ValueError, "`split_every` must be an int >= 2"),
    ({"num_classes": 2.5}, TypeError, "`num_classes` must be a positive int"),
    ({"sample_weight": np.array(["a"] * 4)}, TypeError, "`sample_weight` must hold real numbers, got dtype <U1"),
    ({"sample_weight": np.ones(3)}, ValueError,
     r"`sample_weight` has shape \(3,\), which does not broadcast to the labels' shape \(4,\)"),
])
def test_dask_array_argument_errors(kwargs, error, message):
    arguments = {"y_true": np.zeros(4, dtype=int), "y_pred": np.zeros(4, dtype=int), "num_classes": 2,
                 **kwargs}
    with pytest.raises(error, match=message):
        fastiou.dask.confusion_matrix(arguments.pop("y_true"), arguments.pop("y_pred"),
                                      arguments.pop("num_classes"), **arguments)


def test_numpy_input_and_bool_masks_work_without_a_cluster():
    truth = np.array([[True, False], [True, True]])
    result = fastiou.dask.confusion_matrix(truth, ~truth, 2).compute()
    np.testing.assert_array_equal(result, fastiou.confusion_matrix(truth, ~truth, 2))


def test_panoptic_quality_files_equal_pq_compute(client, tmp_path):
    from panoptic_cases import write_dataset

    from fastiou.compat.panopticapi import pq_compute

    gt_json, pred_json = write_dataset(str(tmp_path), 12, 9)
    expected = pq_compute(gt_json, pred_json)
    assert fastiou.dask.panoptic_quality_files(gt_json, pred_json, client=client,
                                               batch_size=2) == expected
    assert fastiou.dask.panoptic_quality_files(gt_json, pred_json) == expected  # local scheduler
    with pytest.raises(ValueError, match="`batch_size` must be a positive int"):
        fastiou.dask.panoptic_quality_files(gt_json, pred_json, client=client, batch_size=0)
    with open(pred_json) as f:
        pred = json.load(f)
    pred["annotations"][4]["segments_info"].pop()
    with open(pred_json, "w") as f:
        json.dump(pred, f)
    with pytest.raises(ValueError, match="is in the map but not in its segments_info"):
        fastiou.dask.panoptic_quality_files(gt_json, pred_json, client=client)
