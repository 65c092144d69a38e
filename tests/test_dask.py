"""policytag.dask on a real distributed.LocalCluster gives the local rows."""
import pytest

pd = pytest.importorskip("pandas")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

import policytag  # noqa: E402
import policytag.dask as ptd  # noqa: E402


@pytest.fixture(scope="module")
def frame(corpus_docs):
    docs = [d for d in corpus_docs if d.meta["kind"] == "report"][::8][:10]
    return pd.DataFrame({"id": [d.id for d in docs], "text": [d.text for d in docs],
                         "year": [d.meta["year"] for d in docs], "region": [d.meta["region"] for d in docs]})


def test_dataframe_on_local_cluster_equals_local_run(frame):
    local = policytag.load().tag_frame(frame, text_col="text", id_col="id", meta=["year", "region"])
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster):
        ddf = dd.from_pandas(frame, npartitions=4)
        out = ptd.tag_dataframe(ddf, text_col="text", id_col="id", meta=["year", "region"]).compute()
        bag = distributed.Client.current().gather(
            ptd.tag_bag(__import__("dask.bag", fromlist=["from_sequence"]).from_sequence(
                list(zip(frame["id"], frame["text"])), npartitions=3)).compute())
    out = out.reset_index(drop=True)
    cols = list(out.columns)
    pd.testing.assert_frame_equal(out, local[cols].reset_index(drop=True), check_dtype=False)
    assert [r["themes"] for r in bag] == local["themes"].tolist()
    assert len(out) > 200


def test_missing_column_is_a_clear_error(frame):
    ddf = dd.from_pandas(frame, npartitions=2)
    with pytest.raises(KeyError, match="body"):
        ptd.tag_dataframe(ddf, text_col="body")
