"""Masks of API keys: the only form in which a key is ever shown (DESIGN section 6).

A mask keeps the key's last four characters (`****-key`); a key shorter than 12 characters
keeps none (`****`). Masks name environments, so one mock hands out each mask once: a later key
whose mask is taken gets `~2`, `~3`, ... in order of arrival (`****-key~2`).
"""

from __future__ import annotations

import threading

SHORT = 12  # keys shorter than this keep no character in their mask

# HTTP authentication schemes shown as they are: any other first word may be a key.
_SCHEMES = frozenset(
    s.lower()
    for s in (
        "ApiKey",
        "Bearer",
        "Basic",
        "Digest",
        "Token",
        "HOBA",
        "Mutual",
        "Negotiate",
        "NTLM",
        "VAPID",
        "SCRAM-SHA-1",
        "SCRAM-SHA-256",
        "AWS4-HMAC-SHA256",
    )
)


def base_mask(key: str) -> str:
    """The mask of `key` before it is made unique."""
    return "****" + key[-4:] if len(key) >= SHORT else "****"


class Masks:
    """Hands out one unique mask per key, in order of arrival; thread-safe."""

    def __init__(self) -> None:
        self._by_key: dict[str, str] = {}
        self._taken: dict[str, int] = {}
        self._lock = threading.Lock()

    def of(self, key: str) -> str:
        """The mask of `key` (given out now if the key is new)."""
        with self._lock:
            mask = self._by_key.get(key)
            if mask is None:
                base = base_mask(key)
                count = self._taken.get(base, 0) + 1
                self._taken[base] = count
                mask = base if count == 1 else f"{base}~{count}"
                self._by_key[key] = mask
            return mask

    def forget(self, keys: set[str] | frozenset[str] = frozenset()) -> None:
        """Let go of the masks of every key but `keys` (a reset without a key, the environment
        cap): thousands of throwaway keys must not leave their masks behind, and each one left
        would also pin the memory allocated around it (issue 11). A mask that still names a
        kept key is never given out again; one of a forgotten key may be, to a later key."""
        with self._lock:
            self._by_key = {k: m for k, m in self._by_key.items() if k in keys}
            taken: dict[str, int] = {}
            for key, mask in self._by_key.items():
                base = base_mask(key)
                _, _, suffix = mask.partition("~")
                taken[base] = max(taken.get(base, 0), int(suffix or 1))
            self._taken = taken

    def drop(self, key: str) -> None:
        """Let go of one key's mask (its environment went past the environment cap); the count
        stays, so the mask is not given out again before a reset without a key."""
        with self._lock:
            self._by_key.pop(key, None)

    def authorization(self, header: str) -> str:
        """An Authorization header as it may be shown, whatever its shape: the first of two or
        more words kept (a scheme), the rest masked; a single word kept only when it is a known
        scheme (`ApiKeysk_live_...`, a key without its scheme, is masked whole)."""
        words = header.split()
        if not words:
            return header
        rest = header.strip()[len(words[0]) :].strip()
        if rest:  # `<scheme> <credentials>`: the scheme as sent, the rest masked
            return f"{words[0]} {self.of(rest)}"
        return self.scheme(words[0])

    def scheme(self, scheme: str) -> str:
        """A would-be scheme word as an error message may echo it: itself when it is a known
        scheme, else its mask (`ApiKeysk_live_...` is a key sent without its space)."""
        return scheme if scheme.lower() in _SCHEMES else self.of(scheme)
