"""The one-pass proof walk with cached chunk roots (oversight/proofs.py) gives exactly the RFC 9162 path and root
of the audit module's reference functions, for every tree size and leaf around the chunk boundaries, with the
cache cold, warm, and holding roots of another tree under other keys; and it reads only the chunks it needs."""

from __future__ import annotations

import hashlib

import pytest

from raigov.audit import merkle
from raigov.oversight import proofs


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(proofs, "CHUNK", 8)
    monkeypatch.setattr(proofs, "_CACHE", {})


def _leaves(tag: str, n: int) -> list[bytes]:
    return [hashlib.sha256(f"{tag}:{i}".encode()).digest() for i in range(n)]


@pytest.mark.parametrize("n", [1, 2, 3, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 64, 65, 100])
def test_path_and_root_match_the_reference(small_chunks, n):
    for tag in ("a", "b"):  # two trees: roots cached for one are never used for the other
        leaves = _leaves(tag, n)
        for index in range(n):
            reads = []

            def fetch(lo, hi, leaves=leaves, reads=reads):
                reads.append((lo, hi))
                return leaves[lo:hi]

            path, root = proofs.path_and_root(n, index, fetch, lambda c, tag=tag: (tag, c))
            assert root == merkle.root(leaves)
            assert path == merkle.inclusion_proof(leaves, index)
            assert merkle.verify_inclusion(leaves[index], index, n, path, root)
            if index > 0:  # warm: the leaf's own chunk and the tail only
                assert sum(hi - lo for lo, hi in reads) <= 2 * proofs.CHUNK


def test_a_short_read_is_an_error_not_a_wrong_root(small_chunks):
    leaves = _leaves("c", 20)
    with pytest.raises(ValueError):
        proofs.path_and_root(21, 3, lambda lo, hi: leaves[lo:hi], lambda c: None)
