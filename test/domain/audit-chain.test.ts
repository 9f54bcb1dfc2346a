import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ChainVerifier, GENESIS_HASH, RangeVerifier, canonicalJson, chain, encodeAuditRecord, hashAuditRecord, joinRanges, storedRow, type ChainedAuditRecord, type VerifyFailure } from '../../src/domain/audit-chain.js';

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

/** canonicalJson as first written (Object.entries, filter, sort, map, join): the new one must write the same bytes. */
function canonicalJsonV1(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJsonV1).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJsonV1(v)}`).join(',')}}`;
}

/** A small seeded generator (mulberry32): a failure names its seed and replays. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  return { next, int, pick };
}

const ODD_CHARS = ['a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\r', '\t', '\b', '\f', '\u0000', '\u001f', '\u007f', 'é', 'ß', '€', '\u2028', '\u2029', '日本', '😀', '\ud83d', '\ude00', '\ufeff', '\uffff'];
const NUMBERS = [0, -0, 1, -1, 42, 2.5, -3.75, 0.1, 1e21, 1e-7, 5e-324, Number.MAX_SAFE_INTEGER, -Number.MAX_VALUE, NaN, Infinity, -Infinity];
const KEYS = ['a', 'b', 'A', 'aa', 'ab', 'b1', '10', '2', '1', '', ' ', 'é', 'z', '__proto__', 'constructor', 'a"b', 'a\\b', '😀', '\ud83d', 'ä', 'Ω', 'title', 'due_at'];

function randomValue(r: ReturnType<typeof random>, depth: number): unknown {
  const kind = r.int(depth > 3 ? 6 : 9);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return r.next() < 0.5;
    case 2:
      return r.pick(NUMBERS);
    case 3:
      return r.int(1e9) - 5e8;
    case 4:
      return Array.from({ length: r.int(8) }, () => r.pick(ODD_CHARS)).join('');
    case 5:
      return r.next() < 0.5 ? undefined : new Date(Date.UTC(1950 + r.int(100), r.int(12), 1 + r.int(28), r.int(24), r.int(60), r.int(60), r.int(1000)));
    case 6:
    case 7: {
      const arr: unknown[] = Array.from({ length: r.int(5) }, () => randomValue(r, depth + 1));
      if (r.next() < 0.1) arr[arr.length + 1] = 1; // a hole
      return arr;
    }
    default:
      // fromEntries defines own properties, "__proto__" included.
      return Object.fromEntries(Array.from({ length: r.int(6) }, () => [r.pick(KEYS) + (r.next() < 0.3 ? r.pick(ODD_CHARS) : ''), randomValue(r, depth + 1)]));
  }
}

describe('canonicalJson, built as one string', () => {
  it('writes the same bytes as the first version for thousands of random values (unicode, escapes, holes, undefined, odd numbers)', () => {
    for (let seed = 1; seed <= 4000; seed++) {
      const value = randomValue(random(seed), 0);
      expect([seed, canonicalJson(value)]).toEqual([seed, canonicalJsonV1(value)]);
      // What the verifier meets: the same value after a JSON round trip (as read back from jsonb).
      const parsed: unknown = JSON.parse(JSON.stringify(value) ?? 'null');
      expect([seed, canonicalJson(parsed)]).toEqual([seed, canonicalJsonV1(parsed)]);
    }
  });

  it('writes the same for what JSON cannot hold: functions, symbols, boxed values, class instances', () => {
    const odd: unknown[] = [() => 1, Symbol('s'), [() => 1, Symbol('t'), undefined], { f: () => 1, s: Symbol('u') }, new String('ab'), new Number(3), new Map([[1, 2]]), Object.assign(Object.create({ inherited: 1 }), { own: 2 })];
    for (const v of odd) expect(canonicalJson(v)).toBe(canonicalJsonV1(v));
  });
});

describe('hashAuditRecord', () => {
  it('is SHA-256 of the UTF-8 encoding, lone surrogates included (crypto.hash where Node has it, createHash before)', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const r = random(seed);
      const text = () => Array.from({ length: r.int(10) }, () => r.pick(ODD_CHARS)).join('');
      const rec = { seq: seed, occurredAt: new Date(Date.UTC(2026, 0, 5, 14, 30, 0, seed)), actor: text(), action: text(), incidentId: seed % 3 ? seed : null, subject: text(), data: randomValue(r, 0) };
      expect(hashAuditRecord(rec, GENESIS_HASH)).toBe(createHash('sha256').update(encodeAuditRecord(rec, GENESIS_HASH)).digest('hex'));
    }
  });
});

describe('range verification', () => {
  const tampers: Array<(rows: ChainedAuditRecord[], r: ReturnType<typeof random>) => void> = [
    () => {},
    (rows, r) => rows.length && (rows[r.int(rows.length)]!.actor = 'mallory'),
    (rows, r) => rows.length && (rows[r.int(rows.length)]!.hash = 'f'.repeat(64)),
    (rows, r) => rows.length && (rows[r.int(rows.length)]!.prevHash = 'e'.repeat(64)),
    (rows, r) => rows.length && rows.splice(r.int(rows.length), 1),
    (rows, r) => {
      if (rows.length < 2) return;
      const i = r.int(rows.length - 1);
      [rows[i], rows[i + 1]] = [rows[i + 1]!, rows[i]!];
    },
    (rows, r) => rows.length && (rows[r.int(rows.length)] = chain({ ...rows[r.int(rows.length)]! }, rows[0]!.prevHash)),
    (rows) => rows.unshift(chain({ ...build(1)[0]!, seq: 0 }, GENESIS_HASH)),
  ];

  it('stretches checked apart and then joined report what one walk from seq 1 reports, wherever the stretches are cut', () => {
    const seen = new Set<string>();
    for (let seed = 1; seed <= 3000; seed++) {
      const r = random(seed);
      const rows = build(r.int(40)).map((x) => ({ ...x }));
      r.pick(tampers)(rows, r);
      r.pick(tampers)(rows, r);
      const walk = new ChainVerifier();
      let expected: VerifyFailure | null = null;
      for (const row of rows) if ((expected = walk.check(row))) break;
      // Cut the rows (in seq order, as the ranges are) into stretches, some of them empty.
      const cuts = Array.from({ length: r.int(5) }, () => r.int(rows.length + 1)).sort((a, b) => a - b);
      const reports = [0, ...cuts].map((from, i) => {
        const v = new RangeVerifier();
        for (const row of rows.slice(from, [...cuts, rows.length][i])) if (v.check(storedRow(row))) break;
        return v.report();
      });
      expect([seed, joinRanges(reports)]).toEqual([seed, { count: walk.count, failure: expected }]);
      seen.add(expected?.problem ?? 'intact');
    }
    expect([...seen].sort()).toEqual(['gap', 'hash_mismatch', 'intact', 'prev_hash_mismatch']);
  });
});
