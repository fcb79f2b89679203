"""Relevance lint (SPEC §2): does a record's abstract address its research question?

The method in one paragraph. Both texts are cut into words at every non-letter,
non-digit (so "MoE-VLMs" gives "MoE" and "VLMs"); English function words and the
scaffolding of research questions ("what is the effect of ... compared with",
"depend", "outperform") are dropped; every other word is reduced to a crude stem
(British spellings folded, one common suffix stripped, the first seven letters
kept), so "scaling" meets "scale" and "mobilisation" meets "mobilized". Each
question term is weighted by how much sharing it says about the topic: an
ordinary word 1, a generic research word ("model", "data", "parameter") 0.6, an
acronym or name that the abstract also uses ("CRISPR", "MoE", "ImageNet") 3, and
an identifier the abstract does not use (benchmark names, model sizes like "34B",
years) only 0.5, since abstracts routinely leave those out. An acronym counts as
present when the other text spells it out ("MoE" ~ "mixture-of-experts", "large
language models" ~ "LLMs"). The score is shared weight / sqrt(total weight) of
the question's terms, the geometric mean of how much of the question the
abstract covers and how much evidence it shares, so a long, detailed question
is not failed by an abstract that covers its subject but not every detail. No
model, no network, no corpus statistics: `explain` lists every term, its weight
and whether the abstract has it.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata

__all__ = ["RELEVANCE_THRESHOLD", "addresses_question", "explain", "relevance_score"]

RELEVANCE_THRESHOLD: float = 0.9
"""Scores below this raise the relevance warning (SPEC §2). The middle of the thresholds (0.82, 1.00]
that give precision 0.95 / recall 0.90 for "mismatch" on the tuning half of
tests/data/relevance_pairs.yaml, well below seeds 000-002 (>= 1.33); figures in docs/relevance.md."""

# English function words: never a term, never the start of a spelled-out acronym.
_FUNCTION = frozenset(
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
    """.split()
)

# The scaffolding every research question shares ("what is the effect of ... compared with ...").
_SCAFFOLD = frozenset(
    """
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
    depend depends dependent dependence require requires required support supports supported outperform
    outperforms exhibit exhibits remain remains reach reaches become becomes occur occurs exist exists
    determine determines drive drives driven cause causes caused limit limits limited explain explains
    show shows shown alone
    """.split()
)
_STOP = _FUNCTION | _SCAFFOLD

# Words so common in research writing that sharing them says little about the topic.
_GENERIC = frozenset(
    """
    model models modelling modeling data parameter parameters system systems value values time times second
    total size sizes set sets group groups area areas form forms order part parts range point points process
    processes property properties structure structures condition conditions function general common single
    multiple overall main major key important significant first two three year years day days
    measure measured measures measurement measurements estimate estimates estimated task tasks test tests
    """.split()
)

_WORD = re.compile(r"[^\W_]+")
_ASCII_SEPARATORS = str.maketrans({chr(c): " " for c in range(128) if not chr(c).isalnum()})
_SUFFIXES = (
    "ational", "izations", "ization", "isations", "isation", "izing", "ising", "ized", "ised", "izes", "ises",
    "ize", "ise", "ations", "ation", "ements", "ement", "ments", "ment",
    "nesses", "ness", "ities", "ity", "ically", "ical", "ings", "ing", "ions", "ion", "ives", "ive", "ences",
    "ence", "ances", "ance", "ers", "er", "ors", "or", "ies", "ied", "ed", "es", "ly", "al", "ic", "ous", "s", "e",
    "y",
)  # fmt: skip
_STEM_LEN = 7
_WORD_WEIGHT = 1.0
_GENERIC_WEIGHT = 0.6
_NAME_FOUND_WEIGHT = 3.0
"""A shared acronym or name (CRISPR, MoE, ImageNet) is strong evidence of a shared subject."""
_NUMBER_FOUND_WEIGHT = 1.0
_ID_MISSING_WEIGHT = 0.5
"""Abstracts routinely omit benchmark names, model sizes and years that a question names."""
_LINKERS = frozenset(("of", "and", "the", "to", "for", "in", "on", "with", "a"))
_STEM_CACHE_MAX = 200_000
_stems: dict[str, str] = {}  # memo of the pure _stem(); bounded, so output never depends on it


def _stem(word: str) -> str:
    """Crude stem of a lower-case word, so inflected and derived forms meet (scaling ~ scale)."""
    cached = _stems.get(word)
    if cached is not None:
        return cached
    stem = word
    if len(stem) > 5:
        if stem.endswith("our"):
            stem = stem[:-3] + "or"  # behaviour ~ behavior
        stem = stem.replace("ae", "e").replace("oe", "e")  # faecal ~ fecal, oestrogen ~ estrogen
    if len(stem) > 3 and not stem[-1].isdigit():
        for suffix in _SUFFIXES:
            if stem.endswith(suffix) and len(stem) - len(suffix) >= 3:
                stem = stem[: -len(suffix)]
                break
        if len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] not in "aeiouls":
            stem = stem[:-1]  # undouble: "inferr" -> "infer"
    stem = stem[:_STEM_LEN]
    if len(_stems) < _STEM_CACHE_MAX:
        _stems[word] = stem
    return stem


def _words(text: str) -> list[str]:
    """Word tokens; hyphens, apostrophes and all other punctuation separate words (MoE-VLMs -> MoE, VLMs)."""
    if text.isascii():  # the common case, twice as fast as the regular expression and identical to it
        return text.translate(_ASCII_SEPARATORS).split()
    return _WORD.findall(unicodedata.normalize("NFKC", text))


def _kind(raw: str) -> str:
    """'number' (7B, 2020, 3D), 'name' (MMMU, MathVista, CO2, SGLT2, MoE) or 'word' (graphene, Kepler)."""
    if raw[0].isdigit():
        return "number"
    if len(raw) == 1 or raw.islower() or (raw[0].isupper() and raw[1:].islower()):
        return "word"
    return "name"


def _acronym_core(raw: str) -> str | None:
    """The acronym itself with its case, plural stripped (VLMs -> VLM, MoE -> MoE), or None for other words."""
    core = raw[:-1] if raw.endswith("s") and len(raw) > 2 else raw
    if 2 <= len(core) <= 8 and core.isalpha() and sum(ch.isupper() for ch in core) >= max(2, len(core) - 1):
        return core
    return None


def _spells_out(words: list[str], acronym: str) -> tuple[int, int] | None:
    """Span of a run of words whose initials spell the acronym (MoE ~ mixture of experts), or None.

    Capital letters must start content words, a lower-case letter may stand for a linking word ("of"),
    and other linking words may be skipped ("mixture of the experts"); "multimodal or exhibit" is no MoE.
    """
    letters = acronym.lower()
    n = len(letters)
    for i, word in enumerate(words):
        if word[0] != letters[0] or word in _FUNCTION:
            continue
        k = 1
        j = i + 1
        while k < n and j < len(words) and j <= i + 2 * n:
            w = words[j]
            if w[0] == letters[k] and (w not in _FUNCTION or (acronym[k].islower() and w in _LINKERS)):
                k += 1
            elif w not in _LINKERS:
                break
            j += 1
        if k == n and words[j - 1] not in _FUNCTION:
            return i, j
    return None


def explain(question: str, abstract: str) -> list[tuple[str, float, bool]]:
    """Per-term account of the score: (question term, its weight, whether the abstract has it)."""
    return list(_explain(question, abstract))


@functools.lru_cache(maxsize=8)
def _explain(question: str, abstract: str) -> tuple[tuple[str, float, bool], ...]:
    """explain(), memoised: the lint and the page's automated checks ask about the same record in turn."""
    a_words = _words(abstract)
    a_unique = set(a_words)
    stems = _stems
    a_stems = {stems[w] if w in stems else _stem(w) for w in {w.lower() for w in a_unique}}
    a_lower: list[str] | None = None  # built only when a question acronym has to be looked for spelled out
    q_words = _words(question)
    q_lower = [w.lower() for w in q_words]
    # Question phrases spelled out where the abstract uses the acronym ("large language models" ~ "LLMs").
    expanded: set[str] = set()
    for word in [w for w in a_unique if not w.islower() and not w.istitle()]:
        core = _acronym_core(word)
        span = _spells_out(q_lower, core) if core is not None else None
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
        if kind == "name" and not found:
            core = _acronym_core(raw)
            if core is not None:
                if a_lower is None:
                    a_lower = [w.lower() for w in a_words]
                found = _spells_out(a_lower, core) is not None
        if kind == "word":
            weight = _GENERIC_WEIGHT if low in _GENERIC else _WORD_WEIGHT
        elif not found:
            weight = _ID_MISSING_WEIGHT
        else:
            weight = _NAME_FOUND_WEIGHT if kind == "name" else _NUMBER_FOUND_WEIGHT
        rows.append((raw, weight, found))
    return tuple(rows)


def relevance_score(question: str, abstract: str) -> float:
    """Shared weight / sqrt(total weight) of the question's terms: 0 when nothing is shared, higher is closer.

    A question without content words (empty, or only stop words) cannot be judged and scores
    +inf, so it never raises the warning; an empty abstract scores 0.
    """
    rows = explain(question, abstract)
    total = sum(weight for _, weight, _ in rows)
    if total == 0.0:
        return math.inf
    return sum(weight for _, weight, found in rows if found) / math.sqrt(total)


def addresses_question(question: str, abstract: str) -> bool:
    """The lint's verdict (SPEC §2): False means warn that the abstract may not answer the question."""
    return relevance_score(question, abstract) >= RELEVANCE_THRESHOLD
