"""The RFC 9162 Merkle tree agrees with published vectors and with the RFC's own definitions.

Two independent sources of truth:

- the test vectors of Certificate Transparency's Go reference library,
  github.com/transparency-dev/merkle (files and commit named where they are copied);
- a direct recursive transcription of RFC 9162 section 2.1 below (``_ref_*``), which
  shares no code with ``eventstore.merkle`` and is compared with it exhaustively on small
  trees and with hypothesis on larger ones.

No database: pure functions only.
"""

from __future__ import annotations

import hashlib
import os

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from eventstore.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

# -- Published vectors ------------------------------------------------------------------
# From github.com/transparency-dev/merkle at commit 417fb0c314750d94e53942e9f92e79b6d35915db.

# testonly/constants.go, LeafInputs()
LEAF_INPUTS = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
LEAVES = [leaf_hash(d) for d in LEAF_INPUTS]

# testonly/constants.go, NodeHashes(): [level][index] of every complete subtree
NODE_HASHES = [
    [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    [
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    [
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
]

# testonly/constants.go, RootHashes() (index = tree size) and EmptyRootHash()
ROOTS = [
    bytes.fromhex(h)
    for h in (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]

# testonly/reference_test.go, TestRefInclusionProof (0-based index); the non-trivial ones
# are also testdata/inclusion/{1,2,3,4}/happy-path.json.
INCLUSION_VECTORS: list[tuple[int, int, list[str]]] = [
    (0, 1, []),
    (0, 2, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"]),
    (1, 2, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]

# testonly/reference_test.go, TestRefConsistencyProof, plus (6, 7) from
# cmd/proofgen/main.go consistencyProofs (also testdata/consistency/4/happy-path.json).
CONSISTENCY_VECTORS: list[tuple[int, int, list[str]]] = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]

# cmd/proofgen/main.go: sha256SomeHash, used by the probes below
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")
DONT_CARE_1 = b"don't care 1"
DONT_CARE_2 = b"don't care 2"


def _hexes(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(v) for v in values]


# -- Reference: RFC 9162 section 2.1, transcribed literally ------------------------------


def _ref_hash(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _ref_k(n: int) -> int:
    """The largest power of two smaller than n."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def _ref_mth(d: list[bytes]) -> bytes:
    """MTH(D_n) over leaf *hashes* (the leaf-hash step is done by the caller)."""
    n = len(d)
    if n == 0:
        return _ref_hash(b"")
    if n == 1:
        return d[0]
    k = _ref_k(n)
    return _ref_hash(b"\x01" + _ref_mth(d[:k]) + _ref_mth(d[k:]))


def _ref_path(m: int, d: list[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = _ref_k(n)
    if m < k:
        return [*_ref_path(m, d[:k]), _ref_mth(d[k:])]
    return [*_ref_path(m - k, d[k:]), _ref_mth(d[:k])]


def _ref_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [_ref_mth(d)]
    k = _ref_k(n)
    if m <= k:
        return [*_ref_subproof(m, d[:k], b), _ref_mth(d[k:])]
    return [*_ref_subproof(m - k, d[k:], False), _ref_mth(d[:k])]


def _ref_proof(m: int, d: list[bytes]) -> list[bytes]:
    return _ref_subproof(m, d, True)


def _leaves(n: int, seed: int = 0) -> list[bytes]:
    return [_ref_hash(b"\x00" + f"{seed}:{i}".encode()) for i in range(n)]


# -- Hashing and roots against the vectors ----------------------------------------------


def test_hash_primitives_follow_the_rfc() -> None:
    assert hashlib.sha256(b"").digest() == EMPTY_ROOT == ROOTS[0]
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    assert (
        node_hash(b"L" * 32, b"R" * 32) == hashlib.sha256(b"\x01" + b"L" * 32 + b"R" * 32).digest()
    )


def test_node_hashes_match_the_published_vectors() -> None:
    assert [h.hex() for h in LEAVES] == NODE_HASHES[0]
    for level in range(1, len(NODE_HASHES)):
        below = _hexes(NODE_HASHES[level - 1])
        computed = [node_hash(below[2 * i], below[2 * i + 1]) for i in range(len(below) // 2)]
        assert [h.hex() for h in computed] == NODE_HASHES[level]


@pytest.mark.parametrize("size", range(len(ROOTS)))
def test_root_matches_the_published_vectors(size: int) -> None:
    assert root(LEAVES[:size]) == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "expected"), INCLUSION_VECTORS)
def test_inclusion_proof_matches_the_published_vectors(
    index: int, size: int, expected: list[str]
) -> None:
    proof = inclusion_proof(LEAVES, index, size)

    assert [p.hex() for p in proof] == expected
    assert verify_inclusion(LEAVES[index], index, size, _hexes(expected), ROOTS[size])


@pytest.mark.parametrize(("old", "new", "expected"), CONSISTENCY_VECTORS)
def test_consistency_proof_matches_the_published_vectors(
    old: int, new: int, expected: list[str]
) -> None:
    proof = consistency_proof(LEAVES, old, new)

    assert [p.hex() for p in proof] == expected
    assert verify_consistency(old, new, ROOTS[old], ROOTS[new], _hexes(expected))


# -- The Go library's corruption probes (cmd/proofgen/main.go), applied to the vectors ---


def _inclusion_probes(
    index: int, size: int, proof: list[bytes], root_: bytes, leaf: bytes
) -> list[tuple[str, tuple[bytes, int, int, list[bytes], bytes]]]:
    """invalidInclusionProof: every one of these must be rejected."""
    probes = [
        ("leafIdx sub @1", (leaf, index - 1, size, proof, root_)),
        ("leafIdx plus @1", (leaf, index + 1, size, proof, root_)),
        ("leafIdx XOR @2", (leaf, index ^ 2, size, proof, root_)),
        ("treeSize mul @2", (leaf, index, size * 2, proof, root_)),
        ("treeSize div @2", (leaf, index, size // 2, proof, root_)),
        ("wrong leaf", (b"WrongLeaf", index, size, proof, root_)),
        ("empty root", (leaf, index, size, proof, EMPTY_ROOT)),
        ("random root", (leaf, index, size, proof, SOME_HASH)),
        ("trailing garbage", (leaf, index, size, [*proof, b""], root_)),
        ("trailing root", (leaf, index, size, [*proof, root_], root_)),
        ("preceding garbage", (leaf, index, size, [b"", *proof], root_)),
        ("preceding root", (leaf, index, size, [root_, *proof], root_)),
    ]
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([flipped[i][0] ^ 8]) + flipped[i][1:]
        probes.append((f"modified proof[{i}] bit @3", (leaf, index, size, flipped, root_)))
    if proof:
        probes.append(("removed component", (leaf, index, size, proof[:-1], root_)))
    if len(proof) > 1:
        inserted = [proof[0], SOME_HASH, *proof[1:]]
        probes.append(("inserted component", (leaf, index, size, inserted, root_)))
    return probes


def _consistency_probes(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: list[bytes]
) -> list[tuple[str, tuple[int, int, bytes, bytes, list[bytes]]]]:
    """invalidConsistencyProof: every one of these must be rejected."""
    probes = [
        ("size1 sub @1", (old - 1, new, old_root, new_root, proof)),
        ("size1 plus @1", (old + 1, new, old_root, new_root, proof)),
        ("size1 XOR @2", (old ^ 2, new, old_root, new_root, proof)),
        ("size2 mul @2", (old, new * 2, old_root, new_root, proof)),
        ("size2 div @2", (old, new // 2, old_root, new_root, proof)),
        ("wrong root1", (old, new, b"WrongRoot", new_root, proof)),
        ("wrong root2", (old, new, old_root, b"WrongRoot", proof)),
        ("swapped roots", (old, new, new_root, old_root, proof)),
        ("empty proof", (old, new, old_root, new_root, [])),
        ("trailing garbage", (old, new, old_root, new_root, [*proof, b""])),
        ("trailing root1", (old, new, old_root, new_root, [*proof, old_root])),
        ("trailing root2", (old, new, old_root, new_root, [*proof, new_root])),
        ("preceding garbage", (old, new, old_root, new_root, [b"", *proof])),
        ("preceding root1", (old, new, old_root, new_root, [old_root, *proof])),
        ("preceding root2", (old, new, old_root, new_root, [new_root, *proof])),
        ("preceding proof @0", (old, new, old_root, new_root, [proof[0], *proof])),
        ("truncated proof", (old, new, old_root, new_root, proof[:-1])),
    ]
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([flipped[i][0] ^ 16]) + flipped[i][1:]
        probes.append((f"modified proof@{i} bit @4", (old, new, old_root, new_root, flipped)))
    return probes


@pytest.mark.parametrize(("index", "size", "expected"), INCLUSION_VECTORS)
def test_corrupted_inclusion_proofs_are_rejected(
    index: int, size: int, expected: list[str]
) -> None:
    probes = _inclusion_probes(index, size, _hexes(expected), ROOTS[size], LEAVES[index])

    accepted = [desc for desc, args in probes if verify_inclusion(*args)]

    assert accepted == []


@pytest.mark.parametrize(
    ("old", "new", "expected"), [v for v in CONSISTENCY_VECTORS if v[2]]
)  # proofgen skips the trivial (empty) proofs too
def test_corrupted_consistency_proofs_are_rejected(old: int, new: int, expected: list[str]) -> None:
    probes = _consistency_probes(old, new, ROOTS[old], ROOTS[new], _hexes(expected))

    accepted = [desc for desc, args in probes if verify_consistency(*args)]

    assert accepted == []


# cmd/proofgen/main.go staticConsistencyProbes (testdata/consistency/additional/*.json):
# (size1, size2, root1, root2, proof, accepted by eventstore.merkle). Every verdict is the
# Go library's, except the one marked: roots that are not 32 bytes long are malformed tree
# heads here, whatever the sizes.
STATIC_CONSISTENCY_PROBES = [
    (0, 0, DONT_CARE_1, DONT_CARE_2, [], False),
    (1, 1, DONT_CARE_1, DONT_CARE_2, [], False),
    (0, 0, DONT_CARE_1, DONT_CARE_1, [], False),
    (0, 1, DONT_CARE_1, DONT_CARE_2, [], False),
    (1, 1, DONT_CARE_2, DONT_CARE_2, [], False),  # Go: accepted (no length check)
    (1, 0, DONT_CARE_1, DONT_CARE_2, [], False),
    (2, 1, DONT_CARE_1, DONT_CARE_2, [], False),
    (1, 2, DONT_CARE_1, DONT_CARE_2, [], False),
    (0, 0, EMPTY_ROOT, DONT_CARE_2, [], False),
    (1, 1, EMPTY_ROOT, DONT_CARE_2, [], False),
    (0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
    (1, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
    (0, 1, EMPTY_ROOT, DONT_CARE_2, [], False),
    (0, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
]


@pytest.mark.parametrize(
    ("old", "new", "old_root", "new_root", "proof", "accepted"), STATIC_CONSISTENCY_PROBES
)
def test_static_consistency_probes(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: list[bytes], accepted: bool
) -> None:
    assert verify_consistency(old, new, old_root, new_root, proof) is accepted


# cmd/proofgen/main.go singleEntryInclusionProbes and staticInclusionProbes
# (testdata/inclusion/single-entry/*.json, testdata/inclusion/additional/*/*.json)
_DATA_HASH = leaf_hash(b"data")
STATIC_INCLUSION_PROBES = [
    (_DATA_HASH, 0, 1, _DATA_HASH, True),
    (b"", 0, 1, _DATA_HASH, False),
    (_DATA_HASH, 0, 1, b"", False),
    (b"", 0, 1, b"", False),
    *[
        probe
        for index, size in [(0, 0), (0, 1), (1, 0), (2, 1)]
        for probe in [
            (SOME_HASH, index, size, b"", False),
            (b"", index, size, EMPTY_ROOT, False),
            (SOME_HASH, index, size, EMPTY_ROOT, False),
        ]
    ],
]


@pytest.mark.parametrize(("leaf", "index", "size", "root_", "accepted"), STATIC_INCLUSION_PROBES)
def test_static_inclusion_probes(
    leaf: bytes, index: int, size: int, root_: bytes, accepted: bool
) -> None:
    assert verify_inclusion(leaf, index, size, [], root_) is accepted


# -- Exhaustive agreement with the reference on small trees ------------------------------

SMALL = _leaves(64)
SMALL_ROOTS = [_ref_mth(SMALL[:n]) for n in range(len(SMALL) + 1)]


def test_root_agrees_with_the_reference_for_every_small_size() -> None:
    assert [root(SMALL[:n]) for n in range(len(SMALL) + 1)] == SMALL_ROOTS


def test_every_inclusion_proof_of_small_trees_agrees_and_verifies() -> None:
    for size in range(1, len(SMALL) + 1):
        for index in range(size):
            proof = inclusion_proof(SMALL, index, size)
            assert proof == _ref_path(index, SMALL[:size]), (index, size)
            assert verify_inclusion(SMALL[index], index, size, proof, SMALL_ROOTS[size])


def test_every_consistency_proof_of_small_trees_agrees_and_verifies() -> None:
    for new in range(1, len(SMALL) + 1):
        for old in range(1, new + 1):
            proof = consistency_proof(SMALL, old, new)
            assert proof == _ref_proof(old, SMALL[:new]), (old, new)
            assert verify_consistency(old, new, SMALL_ROOTS[old], SMALL_ROOTS[new], proof)


def test_an_inclusion_proof_never_verifies_for_another_index() -> None:
    for size in range(1, 33):
        for index in range(size):
            proof = inclusion_proof(SMALL, index, size)
            for other in range(size):
                if other != index:
                    assert not verify_inclusion(
                        SMALL[index], other, size, proof, SMALL_ROOTS[size]
                    ), (index, other, size)


def test_every_flipped_byte_truncation_or_extension_is_rejected() -> None:
    for size in range(1, 25):
        for index in range(size):
            proof = inclusion_proof(SMALL, index, size)
            args = (SMALL[index], index, size)
            for i, element in enumerate(proof):
                for byte in (0, 17, 31):
                    bad = bytearray(element)
                    bad[byte] ^= 0x01
                    tampered = [*proof[:i], bytes(bad), *proof[i + 1 :]]
                    assert not verify_inclusion(*args, tampered, SMALL_ROOTS[size])
            if proof:
                assert not verify_inclusion(*args, proof[:-1], SMALL_ROOTS[size])
                assert not verify_inclusion(*args, proof[1:], SMALL_ROOTS[size])
            assert not verify_inclusion(*args, [*proof, SMALL[0]], SMALL_ROOTS[size])
        for old in range(1, size):
            proof = consistency_proof(SMALL, old, size)
            roots = (SMALL_ROOTS[old], SMALL_ROOTS[size])
            for i, element in enumerate(proof):
                for byte in (0, 17, 31):
                    bad = bytearray(element)
                    bad[byte] ^= 0x01
                    tampered = [*proof[:i], bytes(bad), *proof[i + 1 :]]
                    assert not verify_consistency(old, size, *roots, tampered)
            assert not verify_consistency(old, size, *roots, proof[:-1])
            assert not verify_consistency(old, size, *roots, [*proof, SMALL[0]])
            assert not verify_consistency(old, size, SMALL_ROOTS[old - 1], roots[1], proof)


def test_the_proof_alone_does_not_bind_the_tree_size() -> None:
    # RFC 9162's algorithm only counts levels, so a proof can also fit a neighbouring
    # size: here leaf 0's path in the 3-leaf tree is accepted as a 4-leaf one against the
    # 3-leaf root. Verifiers must take (size, root) together from one published tree
    # head; this pins that fact so nobody relies on the proof for the size.
    proof = inclusion_proof(SMALL, 0, 3)
    assert verify_inclusion(SMALL[0], 0, 4, proof, SMALL_ROOTS[3])
    assert not verify_inclusion(SMALL[0], 0, 4, proof, SMALL_ROOTS[4])


# -- Larger random trees -----------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(data=st.data(), size=st.integers(min_value=1, max_value=600))
def test_random_trees_agree_with_the_reference(data: st.DataObject, size: int) -> None:
    leaves = _leaves(size, seed=size)
    index = data.draw(st.integers(min_value=0, max_value=size - 1), label="index")
    old = data.draw(st.integers(min_value=1, max_value=size), label="old")
    new_root = _ref_mth(leaves)
    old_root = _ref_mth(leaves[:old])

    assert root(leaves) == new_root

    proof = inclusion_proof(leaves, index, size)
    assert proof == _ref_path(index, leaves)
    assert verify_inclusion(leaves[index], index, size, proof, new_root)

    cproof = consistency_proof(leaves, old, size)
    assert cproof == _ref_proof(old, leaves)
    assert verify_consistency(old, size, old_root, new_root, cproof)


@settings(max_examples=200, deadline=None)
@given(
    leaf=st.binary(min_size=32, max_size=32),
    index=st.integers(min_value=-3, max_value=70),
    size=st.integers(min_value=-3, max_value=70),
    proof=st.lists(st.binary(max_size=40), max_size=10),
    root_=st.binary(min_size=30, max_size=33),
)
def test_inclusion_verifier_never_raises_on_garbage(
    leaf: bytes, index: int, size: int, proof: list[bytes], root_: bytes
) -> None:
    assume(leaf != root_)  # a lone leaf is its own root: the one input that may verify
    assert verify_inclusion(leaf, index, size, proof, root_) is False


@settings(max_examples=200, deadline=None)
@given(
    old=st.integers(min_value=-3, max_value=70),
    new=st.integers(min_value=-3, max_value=70),
    old_root=st.binary(min_size=31, max_size=33),
    new_root=st.binary(min_size=31, max_size=33),
    proof=st.lists(st.binary(max_size=40), min_size=1, max_size=10),
)
def test_consistency_verifier_never_raises_on_garbage(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: list[bytes]
) -> None:
    assert verify_consistency(old, new, old_root, new_root, proof) is False


def test_a_million_leaves_without_recursion() -> None:
    blob = os.urandom(32 * 1_000_003)
    leaves = [blob[i : i + 32] for i in range(0, len(blob), 32)]
    split = 1 << 19  # RFC 9162: MTH(D_n) = HASH(0x01 || MTH(D[0:k]) || MTH(D[k:n]))

    assert root(leaves) == node_hash(root(leaves[:split]), root(leaves[split:]))


# -- Edge cases and refused arguments ----------------------------------------------------


def test_trivial_consistency_cases() -> None:
    r3 = SMALL_ROOTS[3]
    assert consistency_proof(SMALL, 3, 3) == []
    assert verify_consistency(3, 3, r3, r3, [])
    assert not verify_consistency(3, 3, r3, SMALL_ROOTS[4], [])
    # The empty tree is a prefix of every tree, and EMPTY_ROOT is its only root.
    assert consistency_proof(SMALL, 0, 5) == []
    assert verify_consistency(0, 5, EMPTY_ROOT, SMALL_ROOTS[5], [])
    assert not verify_consistency(0, 5, r3, SMALL_ROOTS[5], [])
    assert not verify_consistency(0, 5, EMPTY_ROOT, SMALL_ROOTS[5], [SMALL[0]])
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert not verify_consistency(0, 0, r3, r3, [])
    assert not verify_consistency(4, 3, SMALL_ROOTS[4], r3, [])


@pytest.mark.parametrize(("index", "size"), [(0, 0), (3, 3), (5, 3), (-1, 3), (0, 65), (0, -1)])
def test_inclusion_proof_refuses_impossible_arguments(index: int, size: int) -> None:
    with pytest.raises(ValueError):
        inclusion_proof(SMALL, index, size)


@pytest.mark.parametrize(("old", "new"), [(4, 3), (-1, 3), (1, 65), (0, -1)])
def test_consistency_proof_refuses_impossible_arguments(old: int, new: int) -> None:
    with pytest.raises(ValueError):
        consistency_proof(SMALL, old, new)
