import { describe, expect, it } from 'vitest';
import { ChainVerifier, GENESIS_HASH, canonicalJson, chain, encodeAuditRecord, type ChainedAuditRecord } from '../../src/domain/audit-chain.js';

function build(n: number): ChainedAuditRecord[] {
  const rows: ChainedAuditRecord[] = [];
  let prev = GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const r = chain({ seq: i, occurredAt: new Date(Date.UTC(2026, 10, 27, 15, 0, i)), actor: 'U1', action: 'x', incidentId: 1, subject: 'INC-1', data: { i, nested: { b: 1, a: [1, 'two'] } } }, prev);
    rows.push(r);
    prev = r.hash;
  }
  return rows;
}

const verify = (rows: ChainedAuditRecord[]) => {
  const v = new ChainVerifier();
  for (const r of rows) {
    const f = v.check(r);
    if (f) return f;
  }
  return null;
};

describe('audit chain', () => {
  it('canonical JSON sorts keys at every depth and is stable', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
  });
  it('an intact chain verifies', () => expect(verify(build(50))).toBeNull());
  it('the hand-written encoding is exactly the canonical JSON of the record', () => {
    for (const r of build(5)) {
      const fields = { seq: r.seq, occurred_at: r.occurredAt.toISOString(), actor: r.actor, action: r.action, incident_id: r.incidentId, subject: r.subject, data: r.data, prev_hash: r.prevHash };
      expect(encodeAuditRecord(r, r.prevHash)).toBe(canonicalJson(fields));
    }
    const odd = { seq: 7, occurredAt: new Date(0), actor: 'U"1\\', action: 'a\nb', incidentId: null, subject: '<x>&', data: { z: [null, { b: '€' }], a: 1.5 } };
    expect(encodeAuditRecord(odd, 'h')).toBe(canonicalJson({ seq: 7, occurred_at: new Date(0).toISOString(), actor: odd.actor, action: odd.action, incident_id: null, subject: odd.subject, data: odd.data, prev_hash: 'h' }));
  });
  it('an altered row is named', () => {
    const rows = build(10);
    rows[4] = { ...rows[4]!, actor: 'U2' };
    expect(verify(rows)).toMatchObject({ seq: 5, problem: 'hash_mismatch' });
  });
  it('an altered row with a recomputed hash breaks the next link', () => {
    const rows = build(10);
    rows[4] = chain({ ...rows[4]!, actor: 'U2' }, rows[4]!.prevHash);
    expect(verify(rows)).toMatchObject({ seq: 6, problem: 'prev_hash_mismatch' });
  });
  it('a deleted row is a gap', () => {
    const rows = build(10);
    rows.splice(3, 1);
    expect(verify(rows)).toMatchObject({ seq: 5, problem: 'gap', expectedSeq: 4 });
  });
  it('reordered rows are found', () => {
    const rows = build(10);
    [rows[2], rows[3]] = [rows[3]!, rows[2]!];
    expect(verify(rows)).toMatchObject({ seq: 4, problem: 'gap' });
  });
});
