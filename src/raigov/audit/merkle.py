"""RFC 9162 Merkle tree hashing, inclusion and consistency proofs (pure functions).

leaf hash  = SHA-256(0x00 || leaf bytes)
node hash  = SHA-256(0x01 || left || right)
MTH({})    = SHA-256("")
The tree over n leaves splits at k, the largest power of two smaller than n (RFC 9162 §2.1.1).
Functions here take the *leaf hashes* (not the leaf bytes) so that callers hash each event once.
"""

from __future__ import annotations

from hashlib import sha256

EMPTY_ROOT = sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """Largest power of two strictly smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaves: list[bytes]) -> bytes:
    """Merkle tree head of the given leaf hashes, in O(n) time and O(log n) memory."""
    n = len(leaves)
    if n == 0:
        return EMPTY_ROOT
    # A stack of (height, hash) of perfect subtrees, merged left to right. The RFC tree equals the
    # left-to-right fold of its perfect subtrees merged from the right, which is what we do at the end.
    stack: list[tuple[int, bytes]] = []
    for h in leaves:
        height, cur = 0, h
        while stack and stack[-1][0] == height:
            _, left = stack.pop()
            cur = node_hash(left, cur)
            height += 1
        stack.append((height, cur))
    _, cur = stack.pop()
    while stack:
        _, left = stack.pop()
        cur = node_hash(left, cur)
    return cur


class TreeBuilder:
    """Incremental root computation: feed leaf hashes one by one, read the root at any size."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, bytes]] = []
        self.size = 0

    def add(self, h: bytes) -> None:
        height, cur = 0, h
        stack = self._stack
        while stack and stack[-1][0] == height:
            cur = node_hash(stack.pop()[1], cur)
            height += 1
        stack.append((height, cur))
        self.size += 1

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        cur = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            cur = node_hash(left, cur)
        return cur


def inclusion_proof(leaves: list[bytes], index: int) -> list[bytes]:
    """Audit path of leaf `index` in the tree of `leaves` (RFC 9162 §2.1.3.1), leaf to root order."""
    n = len(leaves)
    if not 0 <= index < n:
        raise ValueError(f"leaf index {index} outside a tree of size {n}")
    path: list[bytes] = []

    def walk(lo: int, hi: int, m: int) -> None:
        size = hi - lo
        if size == 1:
            return
        k = _split(size)
        if m < k:
            walk(lo, lo + k, m)
            path.append(root(leaves[lo + k : hi]))
        else:
            walk(lo + k, hi, m - k)
            path.append(root(leaves[lo : lo + k]))

    walk(0, n, index)
    return path


def verify_inclusion(leaf: bytes, index: int, tree_size: int, path: list[bytes], expected_root: bytes) -> bool:
    """RFC 9162 §2.1.3.2 verification of an inclusion proof."""
    if index >= tree_size or index < 0:
        return False
    fn, sn, r = index, tree_size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == expected_root


def consistency_proof(leaves: list[bytes], old_size: int) -> list[bytes]:
    """Consistency proof between the tree of the first `old_size` leaves and all `leaves`
    (RFC 9162 §2.1.4.1)."""
    n = len(leaves)
    if not 0 < old_size <= n:
        raise ValueError(f"old size {old_size} must be between 1 and {n}")
    proof: list[bytes] = []

    def subproof(m: int, lo: int, hi: int, complete: bool) -> None:
        size = hi - lo
        if m == size:
            if not complete:
                proof.append(root(leaves[lo:hi]))
            return
        k = _split(size)
        if m <= k:
            subproof(m, lo, lo + k, complete)
            proof.append(root(leaves[lo + k : hi]))
        else:
            subproof(m - k, lo + k, hi, False)
            proof.append(root(leaves[lo : lo + k]))

    if old_size < n:
        subproof(old_size, 0, n, True)
    return proof


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: list[bytes]) -> bool:
    """RFC 9162 §2.1.4.2 verification of a consistency proof."""
    if old_size < 1 or old_size > new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # exact power of two: old root is the first node
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root
