/**
 * What a benchmark returns (figures, each with its floor, ratio and goal) and how the run shows
 * them: a table on the terminal and bench/results/latest.json.
 */
import { cpus, platform, release, totalmem, arch } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Summary } from './stats.js';
import { round } from './stats.js';

export interface LatencyValue {
  kind: 'latency';
  unit: 'ms';
  n: number;
  p50: number;
  p99: number;
  max: number;
}
export interface ScalarValue {
  kind: 'scalar';
  unit: string;
  value: number;
}
export type Value = LatencyValue | ScalarValue;

export interface Figure {
  id: string;
  label: string;
  value: Value | null;
  floor: { label: string; value: Value } | null;
  /** figure ÷ floor; for latencies p99 ÷ p99. */
  ratio: number | null;
  goal: { text: string; met: boolean | null } | null;
  /** Rows that try a setting to find what limits a figure (no goal of their own). */
  experiment?: boolean;
  details?: Record<string, unknown>;
  note?: string;
  error?: string;
}

export const latency = (s: Summary): LatencyValue => ({ kind: 'latency', unit: 'ms', n: s.n, p50: round(s.p50, 2), p99: round(s.p99, 2), max: round(s.max, 2) });
export const scalar = (value: number, unit: string): ScalarValue => ({ kind: 'scalar', unit, value: round(value, 2) });

export function ratioOf(value: Value | null, floor: Value | null): number | null {
  if (!value || !floor) return null;
  const a = value.kind === 'latency' ? value.p99 : value.value;
  const b = floor.kind === 'latency' ? floor.p99 : floor.value;
  return b > 0 && Number.isFinite(a) ? round(a / b, 2) : null;
}

/** A figure that could not be measured: the row stays in the table with the reason. */
export function failedFigure(id: string, label: string, err: unknown, goalText?: string): Figure {
  return { id, label, value: null, floor: null, ratio: null, goal: goalText ? { text: goalText, met: null } : null, error: err instanceof Error ? err.message : String(err) };
}

function num(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString('en-US');
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

export function formatValue(v: Value | null): string {
  if (!v) return 'n/a';
  if (v.kind === 'latency') return `${num(v.p50)} / ${num(v.p99)} / ${num(v.max)} ms`;
  return `${num(v.value)} ${v.unit}`;
}

export interface Machine {
  cpuModel: string;
  cpus: number;
  totalMemGiB: number;
  os: string;
  node: string;
}

export function machine(): Machine {
  const c = cpus();
  return {
    cpuModel: c[0]?.model.trim() ?? 'unknown',
    cpus: c.length,
    totalMemGiB: round(totalmem() / 1024 ** 3, 1),
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version,
  };
}

export function renderTable(figures: Figure[]): string {
  const header = ['path', 'figure (p50 / p99 / max)', 'floor', 'ratio', 'goal', 'met'];
  const rows = figures.map((f) => [
    `${f.experiment ? '  ~ ' : ''}${f.label}`,
    f.error ? `FAILED: ${f.error.slice(0, 60)}` : formatValue(f.value),
    f.floor ? `${f.floor.label}: ${formatValue(f.floor.value)}` : '—',
    f.ratio === null ? '—' : `${f.ratio.toFixed(2)}×`,
    f.goal?.text ?? '—',
    f.goal ? (f.goal.met === null ? '?' : f.goal.met ? 'met' : 'NOT met') : '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' │ ').trimEnd();
  const rule = widths.map((w) => '─'.repeat(w)).join('─┼─');
  return [line(header), rule, ...rows.map(line)].join('\n');
}

export function renderNotes(figures: Figure[], runNotes: string[]): string {
  const out: string[] = [];
  for (const f of figures) if (f.note) out.push(`• ${f.label}: ${f.note}`);
  for (const n of runNotes) out.push(`• ${n}`);
  return out.join('\n');
}

export interface Report {
  schema: 1;
  date: string;
  mode: 'quick' | 'full';
  durationS: number;
  /** Wall time of each benchmark, to keep the modes within their budgets. */
  phaseSeconds: Record<string, number>;
  machine: Machine;
  services: Record<string, unknown>;
  /** How to read the table. */
  legend: string;
  figures: Figure[];
  notes: string[];
  goals: { met: string[]; notMet: string[]; unknown: string[] };
}

export function writeReport(path: string, report: Report): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}
