"""A search's place travels in its links sealed, never as the postcode typed.

The postcode a GP types may be where the person lives. An address carrying it would
keep it in the browser's history, in a proxy's or a network monitor's logs and in the
address bar on a shared screen, and the distances on the page it opens would place the
person for anyone holding the link. So the search form is posted, and the address it
leads to, and every link of the results page (pages, filters, "Did you mean", downloads,
"Add to shortlist"'s way back), carry ``near=<sealed place>`` instead:

- sealed with AES-GCM under a key derived from the app's secret key, so the address
  says nothing of the place;
- bound to this browser: the seal's associated data is a random key kept in the
  browser's session cookie (:func:`browser_key`), so a link copied to another browser,
  or kept after the session ended, opens no place;
- for one working day (:data:`KEPT_FOR`), after which the page asks for the postcode
  again and keeps the other filters.

A search made before (a bookmark, the README's examples, a commissioner's link from
coverage to the search) may still carry ``postcode=``; its page is answered as before and
its links are sealed. The JSON API keeps ``postcode``: its callers are systems, not
browsers.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import os
import secrets
import struct
import time
from collections.abc import Mapping
from urllib.parse import urlencode

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app, session
from werkzeug.datastructures import MultiDict

# The query parameter holding the sealed place, and the one it stands for.
SEALED = "near"
TYPED = "postcode"
# How long a sealed place opens: one working day, as long as a signed-in session lasts.
KEPT_FOR = 8 * 60 * 60  # seconds
# The session key holding this browser's key (random, 16 bytes, URL-safe base64).
BROWSER_KEY = "place_key"
# What the page says when a link's place can't be opened.
NOT_OPENED = (
    "Type the postcode again: a search's place is kept in its links only in the browser "
    "that searched, for one working day."
)
_NONCE = 12  # bytes, AES-GCM's standard nonce
_ISSUED = struct.Struct(">Q")  # seconds since the epoch, before the postcode


@functools.lru_cache(maxsize=4)
def seal_key(secret_key: str | bytes) -> bytes:
    """The AES-256 key for sealing places, derived from the app's secret key."""
    secret = secret_key.encode() if isinstance(secret_key, str) else secret_key
    return hashlib.sha256(b"civic-directory search place\x00" + secret).digest()


def seal(postcode: str, key: bytes, browser: str, now: float) -> str:
    """``postcode`` sealed for ``browser`` at ``now``: URL-safe base64, no padding."""
    nonce = os.urandom(_NONCE)
    plain = _ISSUED.pack(int(now)) + postcode.encode()
    sealed = AESGCM(key).encrypt(nonce, plain, browser.encode())
    return base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")


def unseal(token: str, key: bytes, browser: str | None, now: float) -> str | None:
    """The postcode ``token`` seals, or None.

    None when it was sealed for another browser (or there's no browser key), sealed more
    than :data:`KEPT_FOR` seconds before ``now`` (or after it), altered, or isn't a seal.
    """
    if not browser or not token or len(token) > 200:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        plain = AESGCM(key).decrypt(raw[:_NONCE], raw[_NONCE:], browser.encode())
    except (binascii.Error, ValueError, InvalidTag):
        return None
    if len(plain) < _ISSUED.size:
        return None
    (issued,) = _ISSUED.unpack_from(plain)
    if not issued <= now + 60 or now - issued > KEPT_FOR:  # a minute for clock skew
        return None
    try:
        return plain[_ISSUED.size :].decode()
    except UnicodeDecodeError:
        return None


def replaced(query: Mapping | MultiDict, name: str, new_name: str, value: str | None) -> MultiDict:
    """``query`` with its ``name`` values replaced by one ``new_name`` = ``value``.

    The new pair takes the first one's place (so links keep their order); every other
    ``new_name`` goes. With ``value`` None or blank, both names are simply dropped.
    """
    pairs = query.items(multi=True) if isinstance(query, MultiDict) else query.items()
    out: MultiDict = MultiDict()
    placed = False
    for key, item in pairs:
        if key not in (name, new_name):
            out.add(key, item)
        elif not placed and value:
            out.add(new_name, value)
            placed = True
    if not placed and value:
        out.add(new_name, value)
    return out


def encoded(query: MultiDict) -> str:
    """``query`` as a query string, every value of a repeated name included."""
    return urlencode(list(query.items(multi=True)))


# -- in a request: the browser's key and the app's --------------------------------------------


def _app_key() -> bytes:
    return seal_key(current_app.secret_key or "")


def browser_key(create: bool) -> str | None:
    """This browser's key from its session; made (and so sent) when ``create``."""
    key = session.get(BROWSER_KEY)
    if isinstance(key, str) and key:
        return key
    if not create:
        return None
    key = secrets.token_urlsafe(16)
    session[BROWSER_KEY] = key
    return key


def sealed_query(query: Mapping | MultiDict, token: str | None = None) -> MultiDict:
    """``query`` as links carry it: its postcode sealed for this browser, if it has one.

    ``token``: the seal the request came with, which opened to this postcode; kept, so
    the same search keeps the same links (and the session, unchanged, sends no cookie).
    """
    postcode = (query.get(TYPED) or "").strip()
    if postcode and not token:
        token = seal(postcode, _app_key(), browser_key(create=True) or "", time.time())
    return replaced(query, TYPED, SEALED, token if postcode else None)


def typed_query(query: Mapping | MultiDict) -> tuple[MultiDict, bool]:
    """``query`` with its sealed place opened to the postcode; and whether that failed.

    A query without ``near`` comes back as it is. One whose place can't be opened comes
    back without a place, and True: the page asks for the postcode again.
    """
    token = (query.get(SEALED) or "").strip()
    if not token:  # a blank ``near``: no place asked for
        return replaced(query, SEALED, SEALED, None), False
    postcode = unseal(token, _app_key(), browser_key(create=False), time.time())
    return replaced(query, SEALED, TYPED, postcode), postcode is None
