"""Relevance lint (SPEC §2): does a record's abstract address its research question?

Method, in one paragraph: both texts are cut into word tokens (hyphenated
compounds are split into their parts, so "MoE-VLMs" gives "moe" and "vlms"),
stop words and the generic vocabulary of research questions ("effect",
"compare", "study", ...) are dropped, and every remaining word is reduced to a
crude stem (a light suffix strip, then the first seven letters), so "scaling"
and "scale", "efficiency" and "efficient" meet. The score is the share of the
question's content terms that the abstract contains, each term weighted by how
specific it looks: long words weigh more than short ones, and identifiers
(acronyms, mixed-case names, tokens with digits such as "MMMU" or "34B") that
the abstract does not contain weigh little, because abstracts routinely omit
benchmark names and model sizes. An acronym also counts as present when the
abstract spells it out ("MoE" ~ "mixture-of-experts") and a spelled-out phrase
of the question counts when the abstract uses its acronym. No model, no
network, no corpus statistics: the score is explainable term by term.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["RELEVANCE_THRESHOLD", "addresses_question", "relevance_score", "explain"]

RELEVANCE_THRESHOLD: float = 0.25
"""Scores below this warn (SPEC §2 relevance lint); chosen on the tuning half of
tests/data/relevance_pairs.yaml, figures in docs/relevance.md."""

# Words that carry no topic: English function words plus the scaffolding every
# research question shares ("what is the effect of ... compared with ...").
_STOP = frozenset(
    """
    a about above across after again against all almost along already also although always am among an and
    another any are aren around as at be because been before being below between beyond both but by can cannot
    could did do does doing done down during each either else etc ever every few for from further had has have
    having he her here hers him his how however i if in into is it its itself just least less like many may me
    might more most much must my near neither no nor not of off often on once one only onto or other others our
    out over own per rather same several shall she should since so some still such than that the their them
    then there these they this those through throughout thus to too toward towards under until up upon us very
    via was we were what whatever when where whether which while who whom whose why will with within without
    would yet you your
    vs versus e g eg i e ie et al
    affect affects affected affecting effect effects effective effectiveness impact impacts impacted influence
    influences role compare compared comparing comparison comparisons relative relatively associated association
    associations relationship relationships relation relate related correlate correlates correlated
    difference differences differ differs extent degree whether
    study studies studied research question questions analysis analyses analyse analyze analysed analyzed
    result results finding findings evidence approach approaches method methods based using use used
    new novel recent current existing known possible potential various different specific given certain
    change changes changing increase increases increased increasing decrease decreases decreased reduce reduces
    reduced reducing improve improves improved improving
    factor factors level levels terms term kind kinds type types way ways case cases number amount
    well better best good high higher low lower large larger small smaller
    can could do does make makes made get gets achieve achieves yield yields lead leads provide provides
    """.split()
)

# Words so common in research writing that sharing them says little about the topic.
_GENERIC = frozenset(
    """
    model models modelling modeling data parameter parameters system systems value values time times second
    total size sizes set sets group groups area areas form forms order part parts range point points process
    processes property properties structure structures condition conditions function general common single
    multiple various overall main major key important significant first two three year years day days
    measure measured measures measurement measurements estimate estimates estimated task tasks test tests
    """.split()
)

_WORD = re.compile(r"[^\W_]+")
_SUFFIXES = (
    "ational", "izations", "ization", "isations", "isation", "ations", "ation", "ements", "ement", "ments", "ment",
    "nesses", "ness", "ities", "ity", "ically", "ical", "ings", "ing", "ions", "ion", "ives", "ive", "ences",
    "ence", "ances", "ance", "ers", "er", "ors", "or", "ies", "ied", "ed", "es", "ly", "al", "ic", "ous", "s", "e",
    "y",
)
_STEM_LEN = 7
_NAME_FOUND_WEIGHT = 2.0
"""A shared acronym or name (MoE, CRISPR, Raft) is strong evidence of a shared subject."""
_ID_MISSING_WEIGHT = 0.25
"""Abstracts routinely omit benchmark names, model sizes and other identifiers of the question."""
_NUMBER_WEIGHT = 0.5
_GENERIC_WEIGHT = 0.3
_LINKERS = frozenset(("of", "and", "the", "to", "for", "in", "on", "with", "a"))
_stems: dict[str, str] = {}


def _stem(word: str) -> str:
    """Crude stem so inflected and derived forms of one word meet (scaling ~ scale, efficiency ~ efficient)."""
    cached = _stems.get(word)
    if cached is not None:
        return cached
    stem = word
    if len(stem) > 3 and not stem[-1].isdigit():
        for suffix in _SUFFIXES:
            if stem.endswith(suffix) and len(stem) - len(suffix) >= 3:
                stem = stem[: -len(suffix)]
                break
        if len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] not in "aeiouls":
            stem = stem[:-1]  # undouble: "inferr" -> "infer"
    stem = stem[:_STEM_LEN]
    if len(_stems) < 200_000:
        _stems[word] = stem
    return stem


def _words(text: str) -> list[str]:
    """Word tokens; hyphens, apostrophes and all other punctuation separate words (MoE-VLMs -> MoE, VLMs)."""
    return _WORD.findall(unicodedata.normalize("NFKC", text))


def _kind(raw: str) -> str:
    """'number' (7B, 2020, 3D), 'name' (MMMU, MathVista, CO2, SGLT2) or 'word'."""
    if raw[0].isdigit():
        return "number"
    if raw.islower() or (raw[0].isupper() and raw[1:].islower()) or len(raw) == 1:
        return "word"
    return "name"


def _spells_out(words: list[str], acronym: str) -> tuple[int, int] | None:
    """Span of a run of words whose initials spell the acronym (MoE ~ mixture of experts), or None.

    Capital letters must start content words; a lower-case letter may stand for a linking word ("of");
    other linking words may be skipped ("ratio of signal to noise" ~ SNR is not attempted).
    """
    letters = acronym.lower()
    n = len(letters)
    for i, word in enumerate(words):
        if word[0] != letters[0] or word in _STOP:
            continue
        k = 1
        j = i + 1
        while k < n and j < len(words) and j <= i + 2 * n:
            w = words[j]
            if w[0] == letters[k] and (w not in _STOP or (acronym[k].islower() and w in _LINKERS)):
                k += 1
            elif w not in _LINKERS:
                break
            j += 1
        if k == n and words[j - 1] not in _STOP:
            return i, j
    return None


def _acronym_core(raw: str) -> str | None:
    """The acronym itself with its case, plural stripped (VLMs -> VLM, MoE -> MoE), or None for ordinary words."""
    core = raw[:-1] if raw.endswith("s") and len(raw) > 2 else raw
    if 2 <= len(core) <= 8 and core.isalpha() and sum(ch.isupper() for ch in core) >= max(2, len(core) - 1):
        return core
    return None


def explain(question: str, abstract: str) -> list[tuple[str, float, bool]]:
    """Per-term view of the score: (question term, weight it counts with, found in the abstract)."""
    a_words = _words(abstract)
    a_lower = [w.lower() for w in a_words]
    a_stems = {_stem(w) for w in a_lower}
    q_words = _words(question)
    q_lower = [w.lower() for w in q_words]
    # Question phrases spelled out where the abstract uses the acronym ("large language models" ~ "LLMs").
    expanded: set[str] = set()
    for core in {c for w in a_words if not w.islower() and (c := _acronym_core(w))}:
        span = _spells_out(q_lower, core)
        if span is not None:
            expanded.update(q_lower[span[0] : span[1]])
    rows: list[tuple[str, float, bool]] = []
    seen: set[str] = set()
    for raw, low in zip(q_words, q_lower):
        if low in _STOP or len(low) < 2:
            continue
        stem = _stem(low)
        if stem in seen:
            continue
        seen.add(stem)
        found = stem in a_stems or low in expanded
        kind = _kind(raw)
        if not found and kind == "name":
            core = _acronym_core(raw)
            found = core is not None and _spells_out(a_lower, core) is not None
        if kind == "name":
            weight = _NAME_FOUND_WEIGHT if found else _ID_MISSING_WEIGHT
        elif kind == "number":
            weight = _NUMBER_WEIGHT if found else _ID_MISSING_WEIGHT
        elif low in _GENERIC:
            weight = _GENERIC_WEIGHT
        else:
            # Specificity by length, a proxy for rarity: "sea" 0.6, "graphene" 1.0.
            weight = min(1.0, 0.3 + 0.1 * len(low))
        rows.append((raw, weight, found))
    return rows


def relevance_score(question: str, abstract: str) -> float:
    """Weighted share (0..1) of the question's content terms that the abstract contains."""
    rows = explain(question, abstract)
    total = sum(weight for _, weight, _ in rows)
    if total <= 0.0:
        return 1.0 if question.strip() == "" or not rows else 0.0
    return sum(weight for _, weight, found in rows if found) / total


def addresses_question(question: str, abstract: str) -> bool:
    """The lint's verdict (SPEC §2): False means warn that the abstract may not answer the question."""
    return relevance_score(question, abstract) >= RELEVANCE_THRESHOLD
