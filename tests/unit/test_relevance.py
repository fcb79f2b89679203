"""Relevance lint (SPEC §2): yardstick precision/recall, no false alarm on the seeds, API boundaries."""

from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from srchgen.check.relevance import RELEVANCE_THRESHOLD, _words, addresses_question, explain, relevance_score

DATA = Path(__file__).resolve().parent.parent / "data"
PAIRS = yaml.safe_load((DATA / "relevance_pairs.yaml").read_text(encoding="utf-8"))["pairs"]
SEEDS = yaml.safe_load((DATA / "seed_pairs.yaml").read_text(encoding="utf-8"))["seeds"]
SHARED_SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"  # CI checks out ../shared beside the repo


def mismatch_detection(pairs: list[dict]) -> tuple[float, float]:
    """Precision and recall of the lint firing, with "mismatch" as the positive class."""
    fired = [not addresses_question(p["question"], p["abstract"]) for p in pairs]
    truth = [p["label"] == "mismatch" for p in pairs]
    tp = sum(f and t for f, t in zip(fired, truth))
    fp = sum(f and not t for f, t in zip(fired, truth))
    fn = sum(t and not f for f, t in zip(fired, truth))
    precision = tp / (tp + fp) if tp + fp else 1.0
    return precision, tp / (tp + fn)


# --- the yardstick itself -------------------------------------------------------------------------


def test_yardstick_is_large_balanced_and_varied() -> None:
    labels = Counter(p["label"] for p in PAIRS)
    assert len(PAIRS) >= 60
    assert set(labels) == {"match", "mismatch"}
    assert 0.4 <= labels["mismatch"] / len(PAIRS) <= 0.6
    assert len({p["field"] for p in PAIRS}) >= 10
    kinds = Counter(p["kind"] for p in PAIRS)
    assert kinds["hard-negative"] >= 15 and kinds["hard-positive"] >= 5 and kinds["cross-field"] >= 5


@pytest.mark.parametrize("pair", PAIRS, ids=[p["id"] for p in PAIRS])
def test_yardstick_item_is_well_formed(pair: dict) -> None:
    assert set(pair) == {"id", "group", "field", "kind", "label", "question", "abstract"}
    assert pair["question"].strip().endswith("?")
    assert 400 <= len(pair["abstract"]) <= 900


def test_every_topic_has_a_match_and_a_mismatch_on_the_same_abstract() -> None:
    by_group: dict[int, dict[str, dict]] = {}
    for p in PAIRS:
        by_group.setdefault(p["group"], {})[p["label"]] = p
    for group, items in by_group.items():
        assert set(items) == {"match", "mismatch"}, group
        assert items["match"]["abstract"] == items["mismatch"]["abstract"], group
        assert items["match"]["question"] != items["mismatch"]["question"], group


# --- SPEC §2 targets ------------------------------------------------------------------------------


def test_precision_and_recall_on_the_whole_yardstick() -> None:
    precision, recall = mismatch_detection(PAIRS)
    assert precision >= 0.9, precision
    assert recall >= 0.8, recall


@pytest.mark.parametrize(
    ("half", "parity", "min_precision", "min_recall"),
    [
        # The threshold was chosen on the tuning half; these floors are the figures in docs/relevance.md,
        # so a change that loses ground on either half fails here.
        ("tuning (odd groups)", 1, 0.94, 0.90),
        ("held-out (even groups)", 0, 0.90, 0.70),
    ],
)
def test_split_halves_keep_their_documented_figures(
    half: str, parity: int, min_precision: float, min_recall: float
) -> None:
    precision, recall = mismatch_detection([p for p in PAIRS if p["group"] % 2 == parity])
    assert precision >= min_precision, (half, precision)
    assert recall >= min_recall, (half, recall)


@pytest.mark.parametrize("seed", [s for s in SEEDS if s["expect"] == "match"], ids=lambda s: s["seed"])
def test_no_false_alarm_on_the_shipped_seed_records(seed: dict) -> None:
    assert addresses_question(seed["question"], seed["abstract"]), relevance_score(seed["question"], seed["abstract"])


@pytest.mark.parametrize("seed", SEEDS, ids=lambda s: s["seed"])
def test_seed_copy_is_in_the_shipped_form(seed: dict) -> None:
    assert not seed["abstract"].startswith("Abstract:")
    assert seed["abstract"].endswith("\u2026")


@pytest.mark.skipif(not SHARED_SEEDS.is_dir(), reason="../shared/seeds not checked out beside the repo")
@pytest.mark.parametrize("seed", SEEDS, ids=lambda s: s["seed"])
def test_seed_copy_matches_the_seed_pages(seed: dict) -> None:
    (page,) = SHARED_SEEDS.glob(f"{seed['seed']}_*.txt")
    text = page.read_text(encoding="utf-8")
    assert f"Abstract: {seed['abstract'].removesuffix(chr(0x2026))}\n" in text
    assert re.search(r"^Research Question\s*\n\s*\n?" + re.escape(seed["question"]) + "$", text, re.M)


# --- API boundaries -------------------------------------------------------------------------------

QUESTION = "Does twisted bilayer graphene exhibit superconductivity near the magic angle?"


@pytest.mark.parametrize(
    ("question", "abstract", "expected"),
    [
        (QUESTION, "", False),
        (QUESTION, "   \n\t", False),
        (QUESTION, "Abstract.", False),
        ("", "Any abstract at all.", True),
        ("   ", "", True),
        ("What is it, and how does it compare?", "Unrelated text about soil carbon.", True),
        (QUESTION, QUESTION, True),
        ("Graphene?", "Graphene.", True),
        ("How do LLMs scale?", "How do LLMs scale?", True),
    ],
    ids=[
        "empty-abstract",
        "blank-abstract",
        "stopword-abstract",
        "empty-question-cannot-be-judged",
        "both-blank",
        "stopword-question-cannot-be-judged",
        "identical",
        "identical-one-word",
        "identical-acronym",
    ],
)
def test_boundaries(question: str, abstract: str, expected: bool) -> None:
    assert addresses_question(question, abstract) is expected
    score = relevance_score(question, abstract)
    assert not math.isnan(score) and score >= 0.0
    assert (score >= RELEVANCE_THRESHOLD) is expected


def test_threshold_is_a_documented_positive_float() -> None:
    assert isinstance(RELEVANCE_THRESHOLD, float) and 0.0 < RELEVANCE_THRESHOLD < 10.0
    readme = Path(__file__).resolve().parents[2] / "docs" / "relevance.md"
    assert f"RELEVANCE_THRESHOLD = {RELEVANCE_THRESHOLD}" in readme.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("question", "abstract_a", "abstract_b"),
    [
        (QUESTION, "Twisted bilayer graphene superconducts near the magic angle.", "TWISTED bilayer GRAPHENE superconducts near THE magic ANGLE."),
        (QUESTION, "twisted-bilayer graphene: superconductivity (near the 'magic' angle)!", "twisted bilayer graphene superconductivity near the magic angle"),
        (QUESTION, "**Twisted** bilayer [graphene](https://example.org) near the *magic* angle", "Twisted bilayer graphene near the magic angle"),
        ("Does fine-tuning help?", "\ufb01ne-tuning helps", "fine tuning helps"),
        ("How does behaviour change?", "the behavior of", "the behaviour of"),
        ("Do faecal transplants work?", "fecal transplants", "faecal transplants"),
    ],
    ids=["case", "punctuation", "markdown", "nfkc-ligature", "uk-us-our", "uk-us-ae"],
)
def test_case_punctuation_and_spelling_do_not_matter(question: str, abstract_a: str, abstract_b: str) -> None:
    assert relevance_score(question, abstract_a) == relevance_score(question, abstract_b)


@pytest.mark.parametrize(
    ("question", "abstract", "term", "found"),
    [
        ("How does scaling affect accuracy?", "We scale the network.", "scaling", True),
        ("Is efficiency improved?", "an efficient solver", "efficiency", True),
        ("Is early mobilisation helpful?", "patients mobilized early", "mobilisation", True),
        ("Do MoE layers help?", "sparse mixture-of-experts layers", "MoE", True),
        ("Do MoE layers help?", "posteriors may be multimodal or exhibit degeneracies", "MoE", False),
        ("Do large language models hallucinate?", "We test three LLMs.", "language", True),
        ("Do large language models hallucinate?", "We test three LLMs.", "models", True),
        ("Do cats purr?", "A CAT scan was taken.", "cats", True),
        ("Is the CAT scan accurate?", "computed axial tomography accuracy", "CAT", True),
        ("Is the CAT scan accurate?", "the cat sat on the mat", "CAT", True),
        ("Does it work on MMMU?", "It works on MathVista.", "MMMU", False),
    ],
)
def test_term_matching(question: str, abstract: str, term: str, found: bool) -> None:
    rows = {raw: hit for raw, _, hit in explain(question, abstract)}
    assert rows[term] is found


@pytest.mark.parametrize(
    ("term", "kind_weight"),
    [("graphene", 1.0), ("model", 0.6), ("MMMU", 0.5), ("34B", 0.5)],
)
def test_missing_identifiers_and_generic_words_weigh_less_than_topic_words(term: str, kind_weight: float) -> None:
    (row,) = explain(f"{term}?", "nothing shared here")
    assert row == (term, kind_weight, False)


def test_a_shared_acronym_weighs_more_than_a_shared_word() -> None:
    (acronym,) = explain("CRISPR?", "CRISPR screens")
    (word,) = explain("graphene?", "graphene sheets")
    assert acronym[1] > word[1]


def test_stop_words_and_question_scaffolding_are_not_terms() -> None:
    terms = [raw for raw, _, _ in explain("What is the effect of X-ray dose compared with the impact of age?", "")]
    assert terms == ["ray", "dose", "age"]


def test_repeated_question_terms_count_once() -> None:
    assert [raw for raw, _, _ in explain("Graphene graphene GRAPHENE?", "")] == ["Graphene"]


def test_adding_question_words_to_the_abstract_never_lowers_the_score() -> None:
    for pair in PAIRS:
        before = relevance_score(pair["question"], pair["abstract"])
        after = relevance_score(pair["question"], pair["abstract"] + " " + pair["question"])
        assert after >= before, pair["id"]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300), st.text(max_size=900))
def test_never_crashes_and_score_is_a_number(question: str, abstract: str) -> None:
    score = relevance_score(question, abstract)
    assert score >= 0.0 and not math.isnan(score)
    assert addresses_question(question, abstract) is (score >= RELEVANCE_THRESHOLD)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=200))
def test_ascii_fast_path_splits_words_like_the_regular_expression(text: str) -> None:
    assert _words(text) == re.findall(r"[^\W_]+", text)


# Seeds 003 and 004 as records: their abstracts answer another question (SPEC §2); the lint may flag them.
KNOWN_MISMATCHED_RECORDS = {"D5E0A418", "6B2F97C5"}


def test_no_false_alarm_on_the_shipped_records() -> None:
    from srchgen.load.source import abstract_of, load_sources

    records = Path(__file__).resolve().parents[2] / "records"
    sources, problems = load_sources(records, "records")
    assert sources and not problems
    alarms = [
        src.stem
        for src in sources
        if src.stem not in KNOWN_MISMATCHED_RECORDS
        and not addresses_question(str(src.data["research_question"]), abstract_of(src.body))
    ]
    assert alarms == []
