"""A batch's full chunks of 1,024 leaves have their roots stored with the batch (oversight_batch_chunks), so a
decision's proof reads its own chunk and the tail, not the whole batch; a changed stored root cannot make a proof
pass, nor fail (the leaves decide). Both databases, with the independent verifier."""

from __future__ import annotations

import json

import sqlalchemy as sa

from raigov.audit import merkle
from raigov.audit import service as audit
from raigov.oversight import proofs
from raigov.oversight import service as oversight
from raigov.oversight.models import PROOF_CHUNK, BatchChunk, Decision
from tests.oversight import verifier
from tests.oversight.conftest import decision

N = 2 * PROOF_CHUNK + 300  # two full chunks and a tail


def test_a_proof_reads_one_chunk_and_a_changed_stored_root_changes_nothing(db, people, use_cases, key, settings,
                                                                             monkeypatch):
    low = use_cases["low"]
    rows = [decision(low, n, subject=f"S{n}") for n in range(N)]
    with db.transaction() as s:
        res = oversight.record_decisions(s, people["cbp-sys"], key,
                                         oversight.parse_batch(json.dumps({"decisions": rows}).encode()))
    assert res.created == N
    with db.transaction() as s:
        leaves = [bytes.fromhex(h) for h in s.scalars(sa.select(Decision.item_hash).where(
            Decision.batch_seq == res.batch_seq).order_by(Decision.batch_index))]
        stored = dict(s.execute(sa.select(BatchChunk.chunk, BatchChunk.root)
                                .where(BatchChunk.batch_seq == res.batch_seq)).all())
        head = audit.sign_head(s, people["caio"], settings.data_dir)
        pk = s.scalar(sa.select(Decision.id).where(Decision.decision_id == "D-5"))
    assert stored == {c: merkle.root(leaves[c * PROOF_CHUNK:(c + 1) * PROOF_CHUNK]).hex() for c in (0, 1)}

    reads: list[int] = []
    real_path_and_root = proofs.path_and_root

    def counting(n, index, fetch, chunk_key, stored=None):
        def fetch_counted(lo, hi):
            reads.append(hi - lo)
            return fetch(lo, hi)
        return real_path_and_root(n, index, fetch_counted, chunk_key, stored)

    monkeypatch.setattr(proofs, "path_and_root", counting)
    monkeypatch.setattr(proofs, "_CACHE", {})  # cold: no root cached in this process
    with db.transaction() as s:
        proof = oversight.prove(s, people["lead"], pk)
    assert proof["verified"] is True and verifier.verify(proof, head["public_key"]) == []
    batch_reads = reads[:]
    assert sum(batch_reads[:2]) <= PROOF_CHUNK + 300  # its own chunk and the tail, not the other full chunk

    with db.transaction() as s:  # a stored root changed: the proof still verifies, from the leaves
        s.execute(sa.update(BatchChunk).where(BatchChunk.batch_seq == res.batch_seq, BatchChunk.chunk == 1)
                  .values(root="00" * 32))
    monkeypatch.setattr(proofs, "_CACHE", {})
    with db.transaction() as s:
        again = oversight.prove(s, people["lead"], pk)
    assert again["verified"] is True and again["batch"] == proof["batch"]
