import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { DEFAULT_POLICY_PATH, parsePolicy } from '../../src/config/policy-schema.js';
import { alertSeverityOf, groupKeyOf, routeAlert, routeMatches, type Alert, type AlertRoute } from '../../src/domain/alerts.js';

const alert = (over: Partial<Alert> = {}): Alert => ({
  source: 'alertmanager',
  dedupKey: 'fp1',
  occurrence: '2026-01-28T11:00:00.000Z',
  status: 'firing',
  title: 'Collateral demand',
  severity: 'critical',
  service: 'order-routing',
  labels: { alertname: 'NsccCollateralDemand', service: 'order-routing', team: 'trading' },
  link: null,
  startsAt: new Date(0),
  endsAt: null,
  raw: {},
  ...over,
});

const route = (name: string, match: Partial<AlertRoute['match']> = {}, over: Partial<AlertRoute> = {}): AlertRoute => ({
  name,
  match: { sources: [], severities: [], labels: {}, ...match },
  action: 'declare',
  severity: 'sev1',
  service: null,
  responders: { users: [], groups: [] },
  fallback: 'drop',
  channel: 'alerts-triage',
  groupKey: '{source}/{alertname}/{service}',
  groupWindowMs: 1_800_000,
  autoResolve: false,
  ...over,
});

describe('alert routing: first match wins', () => {
  const routes = [
    route('by-source', { sources: ['datadog'] }),
    route('by-severity', { severities: ['error'] }),
    route('equals', { labels: { team: { equals: 'clearing' } } }),
    route('regex', { labels: { alertname: { regex: 'Nscc.*' } } }),
    route('exists', { labels: { runbook: { exists: true } } }),
    route('default', {}, { action: 'drop' }),
  ];

  it('matches on source, severity, label equals, regex (anchored) and exists, in order', () => {
    expect(routeAlert(routes, alert({ source: 'datadog' })).name).toBe('by-source');
    expect(routeAlert(routes, alert({ severity: 'error' })).name).toBe('by-severity');
    expect(routeAlert(routes, alert({ labels: { team: 'clearing', alertname: 'NsccX' } })).name).toBe('equals');
    expect(routeAlert(routes, alert()).name).toBe('regex');
    expect(routeAlert(routes, alert({ labels: { alertname: 'XNscc', runbook: 'https://r' } })).name).toBe('exists');
    expect(routeAlert(routes, alert({ labels: { alertname: 'Other' } })).name).toBe('default');
  });

  it('exists: false matches an absent or empty label only', () => {
    const r = route('no-runbook', { labels: { runbook: { exists: false } } });
    expect(routeMatches(r, alert())).toBe(true);
    expect(routeMatches(r, alert({ labels: { runbook: '' } }))).toBe(true);
    expect(routeMatches(r, alert({ labels: { runbook: 'x' } }))).toBe(false);
  });

  it('labels may name source, service and severity too', () => {
    expect(routeMatches(route('svc', { labels: { service: { equals: 'order-routing' } } }), alert({ labels: {} }))).toBe(true);
    expect(routeMatches(route('sev', { labels: { severity: { regex: 'crit.*' } } }), alert())).toBe(true);
  });

  it('no route matching is a policy bug (the default route is the last)', () => {
    expect(() => routeAlert([route('only', { sources: ['x'] })], alert())).toThrow(/catch-all/);
  });
});

describe('group keys', () => {
  it('default: route, source, alertname, service; a missing field is -', () => {
    expect(groupKeyOf(route('r'), alert())).toBe('r:alertmanager/NsccCollateralDemand/order-routing');
    expect(groupKeyOf(route('r'), alert({ service: null, labels: {} }))).toBe('r:alertmanager/-/-');
  });

  it('a template over labels', () => {
    expect(groupKeyOf(route('r', {}, { groupKey: '{team}-{severity}' }), alert())).toBe('r:trading-critical');
  });

  it('alerts differing only in instance share a group', () => {
    const a = alert({ labels: { alertname: 'X', service: 's', instance: 'a' } });
    const b = alert({ dedupKey: 'fp2', labels: { alertname: 'X', service: 's', instance: 'b' } });
    expect(groupKeyOf(route('r'), a)).toBe(groupKeyOf(route('r'), b));
  });
});

describe('severity words', () => {
  it.each([
    ['sev1', 'critical'], ['CRITICAL', 'critical'], ['sev2', 'error'], ['error', 'error'], ['warning', 'warning'], ['sev3', 'warning'], ['sev4', 'info'], ['info', 'info'],
  ])('%s → %s', (word, sev) => expect(alertSeverityOf(word)).toBe(sev));
  it('unknown words are null', () => expect(alertSeverityOf('bogus')).toBeNull());
});

describe('alerts.routes in the policy', () => {
  const base = parse(readFileSync(DEFAULT_POLICY_PATH, 'utf8'));
  const withRoutes = (routes: unknown) => {
    const p = structuredClone(base);
    p.alerts = { routes };
    return () => parsePolicy(stringify(p), 'WARROOM_POLICY');
  };

  it('the default policy declares order-routing criticals as sev1 and drops the rest', () => {
    const p = parsePolicy(stringify(base));
    expect(routeAlert(p.alerts.routes, alert())).toMatchObject({ name: 'order-routing-critical', action: 'declare', severity: 'sev1', service: 'order-routing', groupWindowMs: 1_800_000 });
    expect(routeAlert(p.alerts.routes, alert({ severity: 'info' })).action).toBe('drop');
  });

  it('the last route must be a catch-all, and only the last', () => {
    expect(withRoutes([{ name: 'a', match: { source: ['x'] }, action: 'drop' }])).toThrow(/alerts\.routes\.0\.match: the last route is the default/);
    expect(withRoutes([{ name: 'a', action: 'drop' }, { name: 'b', action: 'drop' }])).toThrow(/alerts\.routes\.0\.match: a route with no match takes every alert/);
  });

  it('names the key and the problem', () => {
    expect(withRoutes([{ name: 'a', action: 'declare' }])).toThrow(/alerts\.routes\.0\.severity: a declare route needs a severity/);
    expect(withRoutes([{ name: 'a', action: 'declare', severity: 'sev8' }])).toThrow(/alerts\.routes\.0\.severity: unknown severity "sev8"/);
    expect(withRoutes([{ name: 'a', action: 'attach', fallback: 'drop' }])).toThrow(/alerts\.routes\.0\.service: an attach route names the service/);
    expect(withRoutes([{ name: 'a', action: 'attach', service: 'nope', fallback: 'drop' }])).toThrow(/alerts\.routes\.0\.service: unknown service "nope"/);
    expect(withRoutes([{ name: 'a', match: { labels: { x: { regex: '(' } } }, action: 'drop' }, { name: 'd', action: 'drop' }])).toThrow(/alerts\.routes\.0\.match\.labels\.x/);
    expect(withRoutes([{ name: 'd', action: 'drop', group_window: '5x' }])).toThrow(/alerts\.routes\.0\.group_window/);
    expect(withRoutes([{ name: 'd', action: 'drop' }, { name: 'd', action: 'drop' }])).toThrow(/duplicate route name "d"/);
    expect(withRoutes([])).toThrow(/alerts\.routes: define at least the default route/);
    expect(withRoutes([{ name: 'a', action: 'triage' }])).toThrow(/alerts\.routes\.0\.severity: a triage route \(what its Declare button declares\) needs a severity/);
    expect(withRoutes([{ name: 'a', action: 'attach', service: 'clearing' }])).toThrow(/alerts\.routes\.0\.severity: an attach route with fallback: triage needs a severity/);
    expect(withRoutes([{ name: 'a', action: 'triage', severity: 'sev3', channel: '#Triage' }])).toThrow(/alerts\.routes\.0\.channel: must be a Slack channel name/);
  });

  it('triage posts in the route\'s channel, else alerts.triage_channel', () => {
    const p = structuredClone(base);
    p.alerts = { triage_channel: 'noc-triage', routes: [{ name: 'a', match: { source: ['x'] }, action: 'triage', severity: 'sev3', channel: 'batch-triage' }, { name: 'd', action: 'triage', severity: 'sev4' }] };
    expect(parsePolicy(stringify(p)).alerts.routes.map((r) => [r.action, r.channel, r.fallback])).toEqual([['triage', 'batch-triage', 'triage'], ['triage', 'noc-triage', 'triage']]);
  });

  it('the alerts scope exists and the default ci token does not have it', () => {
    const p = parsePolicy(stringify(base));
    expect(p.apiTokens).toEqual([{ name: 'ci', env: 'DEPLOY_GATE_TOKEN', scopes: ['deploy-gate', 'compliance'] }]);
    const q = structuredClone(base);
    q.api_tokens = [{ name: 'alertmanager', env: 'ALERTMANAGER_TOKEN', scopes: ['alerts'] }];
    expect(parsePolicy(stringify(q)).apiTokens[0]!.scopes).toEqual(['alerts']);
  });
});
