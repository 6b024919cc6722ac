"""RFC 9162 / RFC 6962 Merkle hashing against the Certificate Transparency reference vectors,
and proofs over every tree shape."""

import random

import pytest

from raigov.audit import merkle

CT_LEAVES = [bytes.fromhex(h) for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                        "606162636465666768696a6b6c6d6e6f"]]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
LEAF_HASHES = [merkle.leaf_hash(x) for x in CT_LEAVES]


@pytest.mark.parametrize("n", range(0, 9))
def test_reference_roots(n):
    assert merkle.root(LEAF_HASHES[:n]).hex() == CT_ROOTS[n]
    tb = merkle.TreeBuilder()
    for h in LEAF_HASHES[:n]:
        tb.add(h)
    assert tb.root().hex() == CT_ROOTS[n]


def test_reference_inclusion_proof():
    # RFC 6962 reference: leaf 0 of the 8-leaf tree
    assert [p.hex() for p in merkle.inclusion_proof(LEAF_HASHES, 0)] == [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]
    # leaf 5 of 8
    assert [p.hex() for p in merkle.inclusion_proof(LEAF_HASHES, 5)] == [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13, 31, 64, 100])
def test_every_inclusion_and_consistency_proof_verifies(n):
    rng = random.Random(n)
    leaves = [merkle.leaf_hash(rng.randbytes(12)) for _ in range(n)]
    r = merkle.root(leaves)
    for i in range(n):
        p = merkle.inclusion_proof(leaves, i)
        assert merkle.verify_inclusion(leaves[i], i, n, p, r)
        assert not merkle.verify_inclusion(leaves[i], i, n, p, merkle.leaf_hash(b"other"))
        if n > 1:
            assert not merkle.verify_inclusion(leaves[(i + 1) % n], i, n, p, r)
    for m in range(1, n + 1):
        p = merkle.consistency_proof(leaves, m)
        old = merkle.root(leaves[:m])
        assert merkle.verify_consistency(m, n, old, r, p)
        if m < n:
            assert not merkle.verify_consistency(m, n, merkle.leaf_hash(b"x"), r, p)
            assert not merkle.verify_consistency(m, n, old, merkle.leaf_hash(b"x"), p)


def test_bad_arguments():
    with pytest.raises(ValueError):
        merkle.inclusion_proof(LEAF_HASHES, 8)
    with pytest.raises(ValueError):
        merkle.consistency_proof(LEAF_HASHES, 0)
