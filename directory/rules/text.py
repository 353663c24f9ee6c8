"""Clean text from feeds and forms: safe HTML, plain-text summaries and web addresses.

Real feeds carry descriptions as HTML (paragraphs, lists, ``&nbsp;``, links), often escaped
twice (``Drug &amp;amp; Alcohol``) and sometimes with the tags themselves escaped
(``&lt;p&gt;``). Everything here is pure and bounded: the HTML is parsed and sanitised by
nh3 (the Rust ``ammonia`` sanitiser), never by regular expressions; the few regular
expressions below only rewrite entities before parsing, or tidy markup nh3 has already
made safe.

Public API:

- :func:`clean_html` — a small safe HTML subset (p, ul, ol, li, a[href] with rel, em,
  strong, br) for showing a description formatted;
- :func:`plain_text` — the same text with no markup, paragraphs kept as blank lines;
- :func:`summary` — one plain line, cut at a word;
- :func:`normalise_web_address` — a usable ``https://`` address, or ``None`` and a note.
"""

from __future__ import annotations

import html
import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import SplitResult, urlsplit, urlunsplit

import nh3

__all__ = [
    "ALLOWED_TAGS",
    "MAX_INPUT_CHARS",
    "WebAddress",
    "clean_html",
    "decode_entities",
    "is_plain",
    "normalise_web_address",
    "plain_text",
    "summary",
]

# The subset shown on listing pages: paragraphs, lists, links and emphasis.
ALLOWED_TAGS = frozenset({"p", "ul", "ol", "li", "a", "em", "strong", "br"})
LINK_REL = "noopener noreferrer nofollow"
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})

# Anything longer is cut before parsing, so time and memory stay bounded whatever arrives.
# Real descriptions are a few kilobytes; 256 Ki characters leaves room for the longest.
MAX_INPUT_CHARS = 262_144

# First pass: tags real feeds use for structure, kept long enough to turn into the subset
# (b -> strong, headings -> bold paragraphs, divs and table cells -> line breaks).
_FIRST_PASS_TAGS = ALLOWED_TAGS | {
    "b",
    "i",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "td",
    "th",
}
# Their content is dropped too, not just the tags (nh3's defaults are script and style).
_DROP_WITH_CONTENT = frozenset({"script", "style", "template", "noscript", "iframe", "object"})

# One level of escaping undone at a time: "&amp;amp;" -> "&amp;" -> "&".
_ESCAPED_ENTITY = re.compile(r"&amp;(#\d{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)")
_ESCAPED_TAG = re.compile(r"&lt;/?[A-Za-z][A-Za-z0-9]{0,9}(?:\s|&gt;|/)")
_TAG = re.compile(r"<[A-Za-z!/]")
_NBSP = re.compile(r"&nbsp;|&#160;|&#[xX]0*[aA]0;|\u00a0|\u202f")


def decode_entities(text: str, rounds: int = 3) -> str:
    """Undo double escaping (``&amp;amp;`` -> ``&amp;``) up to ``rounds`` times.

    The result is still HTML (a single ``&amp;`` stays), so it can be parsed next.
    """
    for _ in range(rounds):
        decoded = _ESCAPED_ENTITY.sub(r"&\1", text)
        if decoded == text:
            break
        text = decoded
    return text


def _prepare(value: object) -> str:
    """The raw text as a string: bounded, entities decoded, tags unescaped, nbsp as spaces."""
    if value is None:
        return ""
    text = str(value)[:MAX_INPUT_CHARS]
    text = text.replace("\x00", "")
    text = decode_entities(text)
    # Some feeds escape the markup itself ("&lt;p&gt;Struggling..."): unescape once so it
    # is parsed (and sanitised) as the markup it was meant to be.
    if not _TAG.search(text) and _ESCAPED_TAG.search(text):
        text = html.unescape(text)
    text = _NBSP.sub(" ", text)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _plain_to_html(text: str) -> str:
    """Typed text (no tags): blank lines become paragraphs, single newlines line breaks."""
    paragraphs = [p.strip() for p in re.split(r"\n[ \t]*\n", html.unescape(text))]
    out = []
    for paragraph in paragraphs:
        if not paragraph:
            continue
        lines = [html.escape(line.strip(), quote=False) for line in paragraph.split("\n")]
        out.append("<p>" + "<br>".join(line for line in lines if line) + "</p>")
    return "".join(out)


_TOKEN = re.compile(r"(<[^<>]*>)")
_BLOCK_TAGS = frozenset({"<p>", "</p>", "<ul>", "</ul>", "<ol>", "</ol>", "<li>", "</li>"})
_EMPTY_DROPPABLE = frozenset({"p", "li", "ul", "ol", "em", "strong"})


def _tidy(safe: str) -> str:
    """Whitespace, line breaks and empty elements tidied in markup nh3 has already made safe.

    One linear pass over the tokens (nh3's output escapes every ``<`` in text, so tags are
    exactly the ``<...>`` runs); regular expressions with repeats here were quadratic on
    50,000 ``<br>`` in a row.
    """
    tidier = _Tidier()
    for token in _TOKEN.split(safe):
        if not token:
            continue
        if token.startswith("<"):
            tidier.tag(token)
        else:
            tidier.text(token)
    return "".join(tidier.out).strip()


class _Tidier:
    """One :func:`_tidy` pass: the output so far, and the line breaks held back.

    Breaks are held back so that those at the edge of a block can be dropped and a run
    of them written as two at most.
    """

    def __init__(self) -> None:
        self.out: list[str] = []
        self.pending_breaks = 0
        self.in_dead_link = False

    def text(self, token: str) -> None:
        """A run of text: whitespace collapsed, the held-back breaks written before it."""
        out = self.out
        text = " ".join(token.split())
        if not text:
            self._space(token)
            return
        if self.pending_breaks and out and out[-1] not in _BLOCK_TAGS:
            out.append("<br>" * min(self.pending_breaks, 2))
        self.pending_breaks = 0
        if token[0].isspace() and out and out[-1] not in _BLOCK_TAGS:
            text = " " + text
        if token[-1].isspace():
            text += " "
        out.append(text)

    def _space(self, token: str) -> None:
        """Whitespace only: one space, where it separates words."""
        out = self.out
        if token and out and not out[-1].startswith("<"):
            out[-1] += " "
        elif token and out and out[-1] not in _BLOCK_TAGS and out[-1] != "<br>":
            out.append(" ")

    def tag(self, token: str) -> None:
        """A tag: breaks held back, dead links unwrapped, empty elements dropped."""
        if token == "<br>":
            self.pending_breaks += 1
            return
        if token == f'<a rel="{LINK_REL}">':
            # A link whose address was unusable is just its words.
            self.in_dead_link = True
            return
        if token == "</a>" and self.in_dead_link:
            self.in_dead_link = False
            return
        out = self.out
        if token in _BLOCK_TAGS:
            self._block_edge()
        elif self.pending_breaks and out and out[-1] not in _BLOCK_TAGS:
            out.append("<br>" * min(self.pending_breaks, 2))
            self.pending_breaks = 0
        if token.startswith("</"):
            name = token[2:-1]
            if name in _EMPTY_DROPPABLE and out and out[-1] == f"<{name}>":
                out.pop()  # an element with nothing in it
                return
        out.append(token)

    def _block_edge(self) -> None:
        """A block starts or ends: breaks and trailing space at its edge carry no meaning."""
        out = self.out
        self.pending_breaks = 0
        if out and out[-1] == " ":
            out.pop()
        elif out and not out[-1].startswith("<"):
            out[-1] = out[-1].rstrip()


# Elements whose nesting html5ever handles with work that grows with depth; real
# descriptions nest a handful deep, so tags beyond this depth are dropped (text kept).
MAX_NESTING = 64
_TAG_TOKEN = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]{0,15})[^<>]*>")
_NOT_NESTING = frozenset(
    {"p", "li", "br", "hr", "img", "input", "meta", "link", "td", "th", "tr", "option", "wbr"}
)


def _limit_depth(text: str) -> str:
    """The text with tags nested deeper than :data:`MAX_NESTING` removed, in one pass."""
    if text.count("<") <= MAX_NESTING:
        return text
    depth = 0
    pieces: list[str] = []
    last = 0
    for match in _TAG_TOKEN.finditer(text):
        if match.group(2).lower() in _NOT_NESTING:
            continue
        if match.group(1):
            keep = depth <= MAX_NESTING
            depth = max(0, depth - 1)
        else:
            depth += 1
            keep = depth <= MAX_NESTING
        if not keep:
            pieces.append(text[last : match.start()])
            pieces.append(" ")
            last = match.end()
    if not pieces:
        return text
    pieces.append(text[last:])
    return "".join(pieces)


def _link_filter(element: str, attribute: str, value: str) -> str | None:
    """Links as usable addresses: scheme-less hrefs get https://, placeholders are dropped."""
    if element != "a" or attribute != "href":
        return None
    if re.match(r"^(?:mailto|tel):", value.strip(), re.I):
        return value.strip()
    return normalise_web_address(value).url


# An import cleans the same text several times over (a description for its page, for its
# summary, for an address in it, for the domain suggestion) and an organisation's in every
# one of its services: the latest results are remembered. Only strings short enough that
# the cache stays small (128 entries of at most 20,000 characters, and their results).
_REMEMBERED_CHARS = 20_000
_REMEMBERED = 128


def clean_html(value: object) -> str:
    """Sanitised HTML in the small subset listing pages show; ``""`` for nothing.

    Scripts, styles, event handlers, ``javascript:`` links and every other tag or
    attribute are removed (the text of unknown tags is kept); links get
    ``rel="noopener noreferrer nofollow"``. Text with no tags is treated as typed text:
    blank lines become paragraphs. Entities are decoded (including ``&amp;amp;``) and
    ``&nbsp;`` becomes a plain space. Bounded: input beyond :data:`MAX_INPUT_CHARS` is cut.
    """
    if isinstance(value, str) and len(value) <= _REMEMBERED_CHARS:
        return _remembered_clean_html(value)
    return _clean_html(value)


def _clean_html(value: object) -> str:
    text = _prepare(value)
    if not text.strip():
        return ""
    if is_plain(text):
        # Typed text nh3 would give back as it came: its paragraphs are the subset already
        # (tests/rules/test_text.py checks this against nh3 on generated text).
        return _tidy(_plain_to_html(text))
    return _sanitised(text)


# What nh3 gives back unchanged in a text node: printable characters, spaces, tabs and
# new lines, and nothing that starts markup or an entity.
_LAYOUT = str.maketrans("", "", "\n\t")


def is_plain(text: str) -> bool:
    """Whether ``text`` has no markup, entities or unusual characters.

    No ``<``, ``>`` or ``&``, and nothing but printable characters, spaces, tabs and new
    lines (no control, format or separator characters, which HTML parsers may rewrite).
    Such text comes out of the sanitiser as it went in, so it is not parsed at all.
    """
    return not ("<" in text or ">" in text or "&" in text) and text.translate(_LAYOUT).isprintable()


def _sanitised(text: str) -> str:
    """Prepared text with markup in it (or unusual characters) made safe by nh3."""
    text = _limit_depth(text) if _TAG.search(text) else _plain_to_html(text)
    first = nh3.clean(
        text,
        tags=set(_FIRST_PASS_TAGS),
        clean_content_tags=set(_DROP_WITH_CONTENT),
        attributes={"a": {"href"}},
        attribute_filter=_link_filter,
        url_schemes=set(URL_SCHEMES),
        link_rel=None,
        strip_comments=True,
    )
    # Rewriting tags nh3 has already stripped of attributes: b/i to strong/em, headings to
    # bold paragraphs, divs and table cells to line breaks (so words don't run together).
    first = re.sub(r"<(/?)b>", r"<\1strong>", first)
    first = re.sub(r"<(/?)i>", r"<\1em>", first)
    first = re.sub(r"<h[1-6]>", "<p><strong>", first)
    first = re.sub(r"</h[1-6]>", "</strong></p>", first)
    first = re.sub(r"<(?:div|tr)>", "", first)
    first = re.sub(r"</(?:div|tr)>", "<br>", first)
    first = re.sub(r"<t[dh]>", "", first)
    first = re.sub(r"</t[dh]>", " ", first)
    # The second pass re-parses, so anything the rewrite left unbalanced is closed properly.
    final = nh3.clean(
        first,
        tags=set(ALLOWED_TAGS),
        attributes={"a": {"href"}},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )
    final = final.replace("&nbsp;", " ")
    return _tidy(final)


def plain_text(value: object) -> str:
    """The text with no markup: paragraphs separated by a blank line, list items by "• ".

    Entities are decoded to characters, so the result is for plain-text places (summaries,
    search documents, e-mails), not for inserting into HTML unescaped.
    """
    if isinstance(value, str) and len(value) <= _REMEMBERED_CHARS:
        return _remembered_plain_text(value)
    return _plain_text(value)


def _plain_text(value: object) -> str:
    safe = clean_html(value)
    if not safe:
        return ""
    safe = re.sub(r"<br>", "\n", safe)
    safe = re.sub(r"<li>", "\n• ", safe)
    safe = re.sub(r"</(?:p|ul|ol)>|<(?:p|ul|ol)>", "\n\n", safe)
    # Nothing left for nh3 to strip or html to unescape when the rest is plain.
    text = (
        safe if is_plain(safe) else html.unescape(nh3.clean(safe, tags=set(), strip_comments=True))
    )
    lines = [" ".join(line.split()) for line in text.split("\n")]
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    text = re.sub(r"\n\n(?=• )", "\n", text)
    return text.strip()


_remembered_clean_html = lru_cache(maxsize=_REMEMBERED)(_clean_html)
_remembered_plain_text = lru_cache(maxsize=_REMEMBERED)(_plain_text)


def summary(value: object, limit: int = 300) -> str:
    """One plain line from the text, cut at a word within ``limit`` characters (with "…")."""
    text = " ".join(plain_text(value).replace("• ", "").split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-–") + "…"


@dataclass(frozen=True)
class WebAddress:
    """A normalised web address, or ``url=None`` with a note saying why it was left out.

    ``note`` is also set when an address was kept but changed (``https://`` added).
    """

    url: str | None
    note: str | None = None
    original: str | None = None


# Hosts reserved for documentation and testing (RFC 2606 / 6761) that feeds use as
# placeholders: "http://www.example.com" is never a real service's site.
_PLACEHOLDER_DOMAINS = ("example.com", "example.org", "example.net", "example.co.uk")
_RESERVED_TLDS = frozenset({"example", "test", "invalid", "localhost", "local"})
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
MAX_URL_CHARS = 2048


def _is_placeholder(host: str) -> bool:
    if host.rsplit(".", 1)[-1] in _RESERVED_TLDS:
        return True
    return any(host == d or host.endswith("." + d) for d in _PLACEHOLDER_DOMAINS)


def normalise_web_address(value: object) -> WebAddress:
    """A web address as ``https://host/path``, or ``None`` with a note for the importer.

    - ``www.example.org/page`` and ``linktr.ee/x`` (no scheme) get ``https://``;
    - placeholder hosts (example.com, .org, .net and reserved names) are dropped with a note;
    - other schemes (``javascript:``, ``mailto:``, ``ftp:``), spaces inside, hosts that are
      not domain names, and addresses over 2,048 characters are rejected with a note.

    The host is lower-cased and a trailing dot removed; path, query and fragment are kept.
    The latest answers are remembered (a feed gives an organisation's site in each of its
    services).
    """
    if isinstance(value, str) and len(value) <= MAX_URL_CHARS:
        return _remembered_web_address(value)
    return _normalise_web_address(value)


def _normalise_web_address(value: object) -> WebAddress:
    if value is None:
        return WebAddress(None)
    original = str(value)[: MAX_URL_CHARS + 1]
    text = html.unescape(decode_entities(original)).strip().strip("<>\"'").strip()
    if not text:
        return WebAddress(None, original=original or None)
    try:
        text, note = _with_scheme(_plausible_address(text))
        try:
            parts = urlsplit(text)
            port = parts.port
        except ValueError:
            raise _Rejected(f"{text[:80]!r} is not a web address; left out.") from None
        host = _checked_host(parts, text)
    except _Rejected as rejected:
        return WebAddress(None, str(rejected), original)
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    scheme = parts.scheme.lower()
    url = urlunsplit((scheme, netloc, parts.path or "/", parts.query, parts.fragment))
    return WebAddress(url, note, original)


_remembered_web_address = lru_cache(maxsize=4096)(_normalise_web_address)


class _Rejected(ValueError):
    """A web address left out; the message is the note for the importer."""


def _plausible_address(text: str) -> str:
    """``text`` if it could be a web address at all: not too long, no spaces in it."""
    if len(text) > MAX_URL_CHARS:
        raise _Rejected("The web address is too long to be real; left out.")
    if any(ch.isspace() for ch in text) or any(ord(ch) < 32 for ch in text):
        raise _Rejected(f"{text[:80]!r} is not a web address (it has spaces); left out.")
    return text


def _with_scheme(text: str) -> tuple[str, str | None]:
    """``text`` with ``https://`` added when it has no scheme, and a note saying so.

    Other schemes (``javascript:``, ``mailto:``...) and e-mail addresses are rejected.
    """
    added = "Added https:// to a web address written without it."
    scheme_match = _SCHEME.match(text)
    if text.startswith("//"):
        return "https:" + text, added
    if scheme_match and scheme_match.group(1).lower() in {"http", "https"}:
        return text, None
    if scheme_match and not re.match(r"^[^:/]+:\d+(?:/|$)", text):
        # "javascript:", "mailto:", "ftp:"... (but not "host:8080/page").
        raise _Rejected(
            f"{text[:80]!r} is not a web page address ({scheme_match.group(1).lower()}:); left out."
        )
    if "@" in text.split("/", 1)[0]:
        raise _Rejected(f"{text[:80]!r} is an e-mail address, not a web address; left out.")
    return "https://" + text, added


def _checked_host(parts: SplitResult, text: str) -> str:
    """The address's host name, lower-cased and as IDNA, if it names a real site.

    Rejected: user names or passwords, hosts that aren't domain names (bare IP addresses
    included), and placeholder hosts.
    """
    host = (parts.hostname or "").rstrip(".")
    if parts.username is not None or parts.password is not None:
        raise _Rejected("A web address with a user name or password in it; left out.")
    try:
        host = host.encode("idna").decode("ascii") if host else host
    except UnicodeError:
        raise _Rejected(f"{host[:80]!r} is not a valid host name; left out.") from None
    host = host.lower()
    if not host:
        raise _Rejected(f"{text[:80]!r} has no host name; left out.")
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        raise _Rejected(f"{host!r} is a bare IP address, not a site; left out.")
    labels = host.split(".")
    if (
        len(labels) < 2
        or not all(_LABEL.match(label) for label in labels)
        or not (labels[-1].isalpha() or labels[-1].startswith("xn--"))
    ):
        raise _Rejected(f"{host[:80]!r} is not a valid host name; left out.")
    if _is_placeholder(host):
        raise _Rejected(f"{host} is a placeholder address, not the service's site; left out.")
    return host
