"""Merkle tree of RFC 9162 (Certificate Transparency 2.0), section 2.1, with SHA-256.

Why: the per-stream hash chain (``eventstore.hashing``) shows that a stream was not edited
behind the store's back, but only to someone who trusts the store to run the check. A
Merkle tree over the global feed, one leaf per event in feed order, lets the store publish
a small tree head (size, root) and hand out proofs that an outside auditor checks with
nothing but SHA-256 and the functions at the end of this module:

- an inclusion proof shows that a given event is leaf ``index`` of the tree of ``size``
  leaves whose root the auditor holds;
- a consistency proof shows that the tree the auditor saw earlier is a prefix of today's
  tree, i.e. the feed was only appended to, never rewritten.

Following RFC 9162 rather than an ad hoc scheme means existing Certificate Transparency
tooling (and its published test vectors) can check our proofs. Leaves and inner nodes are
hashed with different one-byte prefixes (0x00 / 0x01, section 2.1.1) so that a leaf can
never be passed off as an inner node (second-preimage attack).

The proof builders take the full list of leaf hashes and recompute what they need, which
is linear in the number of leaves: fine for an audit job, not for a per-request API on a
very large feed (that would store the inner nodes instead). The verifiers are the RFC's
algorithms, logarithmic, and return False rather than raising for any malformed input,
since proofs come from a party the auditor does not trust.

Pure: standard library only, no I/O.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
# MTH({}) = HASH() (section 2.1.1): the root of the empty tree, and the only root a tree
# of size 0 can have.
EMPTY_ROOT = hashlib.sha256(b"").digest()

_sha256 = hashlib.sha256


def leaf_hash(data: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d): the hash of one leaf's input."""
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): the hash of an inner node."""
    return _sha256(b"\x01" + left + right).digest()


def root(leaves: Sequence[bytes]) -> bytes:
    """MTH over ``leaves``, which are leaf hashes (``leaf_hash`` already applied).

    Built bottom-up, pairing neighbours and carrying an unpaired last node up unchanged.
    That gives the same tree as the RFC's recursive split at the largest power of two
    below n (the left part is always a perfect tree, so only the rightmost node of a
    level can lack a partner), without recursion and with one hash per inner node.
    """
    if not leaves:
        return EMPTY_ROOT
    level = list(leaves)
    while len(level) > 1:
        # map over the two strided slices keeps the hot loop in C; it stops at the
        # shorter slice, so an odd last node is left out and appended as is.
        paired = list(map(node_hash, level[0::2], level[1::2]))
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def _split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2): where MTH splits D[n]."""
    return 1 << ((n - 1).bit_length() - 1)


def _check_leaves(leaves: Sequence[bytes], size: int, name: str) -> None:
    if size < 0:
        raise ValueError(f"{name} must not be negative, got {size}")
    if size > len(leaves):
        raise ValueError(f"{name} {size} exceeds the {len(leaves)} leaves given")


def inclusion_proof(leaves: Sequence[bytes], index: int, size: int) -> list[bytes]:
    """PATH(index, D[0:size]) of section 2.1.3.1, from the leaf's sibling up to the root.

    Raises ValueError unless 0 <= index < size <= len(leaves).
    """
    _check_leaves(leaves, size, "size")
    if not 0 <= index < size:
        raise ValueError(f"index {index} is outside a tree of size {size}")
    # Walk down from the root towards the leaf, keeping the sibling subtree hash at each
    # split; PATH lists them leaf-first, hence the reversal.
    siblings: list[bytes] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            siblings.append(root(leaves[lo + k : hi]))
            hi = lo + k
        else:
            siblings.append(root(leaves[lo : lo + k]))
            lo += k
    siblings.reverse()
    return siblings


def consistency_proof(leaves: Sequence[bytes], old_size: int, new_size: int) -> list[bytes]:
    """PROOF(old_size, D[0:new_size]) of section 2.1.4.1.

    Empty when old_size == new_size (SUBPROOF(m, D[m], true) is empty) and when
    old_size == 0 (the empty tree is a prefix of every tree; the RFC defines no proof
    for it). Raises ValueError unless 0 <= old_size <= new_size <= len(leaves).
    """
    _check_leaves(leaves, new_size, "new_size")
    if not 0 <= old_size <= new_size:
        raise ValueError(f"old_size {old_size} must be between 0 and new_size {new_size}")
    if old_size in (0, new_size):
        return []
    # SUBPROOF(m, D[lo:hi], known) walked top-down: each step keeps the subtree that
    # still contains the old tree's right edge and records the other one.
    siblings: list[bytes] = []
    lo, hi, m = 0, new_size, old_size
    known = True  # False once the old tree is no longer a whole subtree of the new one
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            siblings.append(root(leaves[lo + k : hi]))
            hi = lo + k
        else:
            siblings.append(root(leaves[lo : lo + k]))
            lo += k
            m -= k
            known = False
    # The verifier already holds the old root when the old tree is itself a node of the
    # new tree; otherwise it needs that node's hash to start from.
    proof = [] if known else [root(leaves[lo:hi])]
    proof.extend(reversed(siblings))
    return proof


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether ``proof`` shows leaf hash ``leaf`` at ``index`` in the tree (size, root).

    The algorithm of section 2.1.3.2. False for any malformed input, never an exception.
    """
    if not 0 <= index < size:
        return False
    if not (_is_hash(leaf) and _is_hash(root) and all(_is_hash(p) for p in proof)):
        # A hash of another length could shift bytes between neighbours in the
        # concatenation 0x01 || left || right and still hash to the same node.
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False  # more proof than tree: reject rather than ignore the tail
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            # On the right edge of an unbalanced tree a node may have no sibling for
            # several levels: skip those levels, which the proof does not cover.
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows the tree (old_size, old_root) is a prefix of (new_size, new_root).

    The algorithm of section 2.1.4.2, which covers 0 < old_size < new_size; outside it:
    equal sizes need an empty proof and equal roots (PROOF(m, D[m]) is empty), and
    old_size 0 needs an empty proof and ``old_root == EMPTY_ROOT`` (the empty tree is a
    prefix of every tree, and MTH({}) is its only possible root). False for any
    malformed input, never an exception.
    """
    if not 0 <= old_size <= new_size:
        return False
    if not (_is_hash(old_root) and _is_hash(new_root) and all(_is_hash(c) for c in proof)):
        return False
    if old_size == new_size:
        return not proof and old_root == new_root and (old_size > 0 or old_root == EMPTY_ROOT)
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        # The old tree is a perfect subtree of the new one, so the log leaves out its
        # root (the verifier has it) and the walk starts from it.
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
            # A left sibling: part of both trees.
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            # A right sibling: only in the new tree.
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root
