import math

import numpy as np
from sklearn.metrics import ndcg_score

from marketplace.ranking.metrics import ap_per_query, map_at_k, ndcg_at_k, ndcg_per_query


def test_ndcg_hand_computed():
    # one query, ranked by score: grades in ranked order are 2, 0, 3
    score = np.array([0.9, 0.5, 0.1])
    rel = np.array([2, 0, 3])
    dcg = 2 / math.log2(2) + 0 + 3 / math.log2(4)
    idcg = 3 / math.log2(2) + 2 / math.log2(3)
    got = ndcg_at_k(np.zeros(3, int), score, rel, k=10)
    assert math.isclose(got, dcg / idcg, rel_tol=1e-12)
    assert math.isclose(got, ndcg_score([rel], [score]), rel_tol=1e-12)


def test_ndcg_cutoff_and_several_queries():
    qid = np.array([1, 1, 1, 2, 2, 3, 3])
    score = np.array([3, 2, 1, 1, 2, 5, 4])
    rel = np.array([0, 0, 4, 1, 0, 0, 0])
    per = ndcg_per_query(qid, score, rel, k=2)
    assert per[0] == 0.0  # the only relevant item is ranked third, outside the top 2
    assert math.isclose(per[1], (1 / math.log2(3)) / 1.0)
    assert np.isnan(per[2])  # nothing relevant: skipped
    assert math.isclose(ndcg_at_k(qid, score, rel, k=2), per[1] / 2)


def test_average_precision_hand_computed():
    # ranked grades: 1, 0, 2, 0, 4 → relevant at ranks 1, 3, 5
    score = np.array([5, 4, 3, 2, 1])
    rel = np.array([1, 0, 2, 0, 4])
    expected = (1 / 1 + 2 / 3 + 3 / 5) / 3
    assert math.isclose(ap_per_query(np.zeros(5, int), score, rel, k=10)[0], expected)
    # with k = 3 only the first two hits count, divided by min(k, 3 relevant) = 3
    assert math.isclose(ap_per_query(np.zeros(5, int), score, rel, k=3)[0], (1 + 2 / 3) / 3)
    assert math.isclose(map_at_k(np.array([0] * 5 + [1] * 2), np.r_[score, 1, 2],
                                 np.r_[rel, 2, 0], k=10), (expected + 0.5) / 2)


def test_tiebreak_is_respected():
    score = np.zeros(2)
    rel = np.array([0, 1])
    assert ndcg_at_k(np.zeros(2, int), score, rel, k=1, tiebreak=np.array([1.0, 0.0])) == 1.0
    assert ndcg_at_k(np.zeros(2, int), score, rel, k=1, tiebreak=np.array([0.0, 1.0])) == 0.0
