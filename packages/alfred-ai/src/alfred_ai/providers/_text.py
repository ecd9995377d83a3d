"""Text normalisation for the heuristics: accent folding, contractions, chat abbreviations.

The output is a token list in which `BOUNDARY` marks punctuation, so phrases never match across
clauses and a negation never reaches into the next one ("sem avisar, vergonha").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

BOUNDARY = "|"
MAX_CHARS = 4000  # long e-mails: the ask is at the top; quoted history below adds only noise

_QUOTED_REPLY = re.compile(
    r"^(?:>.*|On .+ wrote:|Em .+ escreveu:|-{2,}\s*Original Message\s*-{2,}|De: .+)$",
    re.IGNORECASE | re.MULTILINE,
)
_CONTRACTIONS = (
    (re.compile(r"\b(can)'?t\b"), r"\1 not"),
    (re.compile(r"\bwon'?t\b"), "will not"),
    (re.compile(r"\b(\w+)n't\b"), r"\1 not"),
    (re.compile(r"'re\b"), " are"),
    (re.compile(r"'ll\b"), " will"),
    (re.compile(r"'ve\b"), " have"),
    (re.compile(r"'m\b"), " am"),
    (re.compile(r"'d\b"), " would"),
    (re.compile(r"'s\b"), ""),
)
_TOKEN = re.compile(r"[a-z0-9]+|[.,!?;:\n]+")  # punctuation -> BOUNDARY
_LETTER_RUN = re.compile(r"([a-z])\1{2,}")

# Chat abbreviations and apostrophe-less contractions, folded to the words the lexicons use.
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    # Portuguese
    "vc": ("voce",),
    "vcs": ("voces",),
    "q": ("que",),
    "pq": ("porque",),
    "tb": ("tambem",),
    "tbm": ("tambem",),
    "tmb": ("tambem",),
    "n": ("nao",),
    "naum": ("nao",),
    "hj": ("hoje",),
    "msg": ("mensagem",),
    "qdo": ("quando",),
    "qto": ("quanto",),
    "qnto": ("quanto",),
    "qnt": ("quanto",),
    "qtos": ("quantos",),
    "td": ("tudo",),
    "blz": ("beleza",),
    "obg": ("obrigado",),
    "obgd": ("obrigado",),
    "obgda": ("obrigada",),
    "brigado": ("obrigado",),
    "vlw": ("valeu",),
    "pfv": ("por", "favor"),
    "pfvr": ("por", "favor"),
    "pf": ("por", "favor"),
    "msm": ("mesmo",),
    "cmg": ("comigo",),
    "agr": ("agora",),
    "ngm": ("ninguem",),
    "dps": ("depois",),
    "qria": ("queria",),
    "kero": ("quero",),
    "oq": ("o", "que"),
    "vlr": ("valor",),
    "tava": ("estava",),
    "ta": ("esta",),
    "tah": ("esta",),
    "eh": ("e",),
    # English
    "u": ("you",),
    "ur": ("your",),
    "pls": ("please",),
    "plz": ("please",),
    "plss": ("please",),
    "thx": ("thanks",),
    "tks": ("thanks",),
    "ty": ("thanks",),
    "cuz": ("because",),
    "wanna": ("want", "to"),
    "gonna": ("going", "to"),
    "gotta": ("got", "to"),
    "lemme": ("let", "me"),
    "im": ("i", "am"),
    "ive": ("i", "have"),
    "dont": ("do", "not"),
    "doesnt": ("does", "not"),
    "didnt": ("did", "not"),
    "cant": ("can", "not"),
    "cannot": ("can", "not"),
    "wont": ("will", "not"),
    "isnt": ("is", "not"),
    "arent": ("are", "not"),
    "wasnt": ("was", "not"),
    "havent": ("have", "not"),
    "hasnt": ("has", "not"),
    "wouldnt": ("would", "not"),
    "couldnt": ("could", "not"),
    "shouldnt": ("should", "not"),
    "aint": ("is", "not"),
    "recieve": ("receive",),
    "recieving": ("receiving",),
    "recieved": ("received",),
    "mins": ("minutes",),
    "min": ("minutes",),
    "hrs": ("hours",),
}


@dataclass(frozen=True)
class Text:
    """A message prepared for matching.

    Attributes:
        raw: The text as received (subject and body, quoted history removed, truncated).
        folded: Lower case, accents removed.
        tokens: Words and `BOUNDARY` markers, abbreviations expanded.
        caps_ratio: Share of upper-case letters among all letters.
        letters: How many letters the text has.
        exclamations: The longest run of `!`.
    """

    raw: str
    folded: str
    tokens: tuple[str, ...]
    caps_ratio: float
    letters: int
    exclamations: int


def fold(text: str) -> str:
    """Lower-case `text` and strip accents (`Não é` -> `nao e`)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def strip_quoted(text: str) -> str:
    """Drop an e-mail's quoted history: everything from the first quote marker on."""
    match = _QUOTED_REPLY.search(text)
    return text[: match.start()] if match else text


def prepare(body: str, subject: str | None = None) -> Text:
    """Normalise a message for the heuristics.

    Args:
        body: The message body.
        subject: The e-mail subject, read as a first sentence.

    Returns:
        The prepared text.
    """
    raw = strip_quoted(body)
    if subject:
        raw = f"{subject}.\n{raw}"
    raw = raw[:MAX_CHARS]
    folded = fold(raw).replace("\u2019", "'").replace("`", "'")
    for pattern, replacement in _CONTRACTIONS:
        folded = pattern.sub(replacement, folded)
    folded = _LETTER_RUN.sub(r"\1", folded)  # "muitooo" -> "muito", "pleeease" -> "please"
    tokens: list[str] = []
    for token in _TOKEN.findall(folded):
        if not token[0].isalnum():
            if tokens and tokens[-1] != BOUNDARY:
                tokens.append(BOUNDARY)
            continue
        tokens.extend(ABBREVIATIONS.get(token, (token,)))
    letters = [c for c in raw if c.isalpha()]
    upper = sum(1 for c in letters if c.isupper())
    runs = re.findall(r"!+", raw)
    return Text(
        raw=raw,
        folded=folded,
        tokens=tuple(tokens),
        caps_ratio=upper / len(letters) if letters else 0.0,
        letters=len(letters),
        exclamations=max((len(r) for r in runs), default=0),
    )
