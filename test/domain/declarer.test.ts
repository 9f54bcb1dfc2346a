import { describe, expect, it } from 'vitest';
import { declarerActor, declaringUser, integrationDeclarer, userDeclarer } from '../../src/domain/declarer.js';

describe('declarer', () => {
  it('a user is its own actor and can be DMed', () => {
    const d = userDeclarer('UBOB0002');
    expect(declarerActor(d)).toBe('UBOB0002');
    expect(declaringUser(d)).toBe('UBOB0002');
  });

  it('an integration acts as integration:<source> and has no Slack user', () => {
    const d = integrationDeclarer('alertmanager', '  Alertmanager\n payments  ');
    expect(d).toEqual({ kind: 'integration', source: 'alertmanager', name: 'Alertmanager payments' });
    expect(declarerActor(d)).toBe('integration:alertmanager');
    expect(declaringUser(d)).toBeNull();
  });

  it('an integration may carry its monitor link: http(s) only, nothing that breaks a Slack link', () => {
    expect(integrationDeclarer('alertmanager', 'm', 'https://prom/graph?g0.expr=up&x=1')).toEqual({ kind: 'integration', source: 'alertmanager', name: 'm', link: 'https://prom/graph?g0.expr=up&x=1' });
    for (const bad of ['javascript:alert(1)', 'https://a|b', 'https://a>b', 'https://a b', '', null]) expect(integrationDeclarer('alertmanager', 'm', bad)).not.toHaveProperty('link');
  });

  it.each([
    ['Alert Manager', 'x'],
    ['', 'x'],
    ['a'.repeat(65), 'x'],
    ['ok', ''],
    ['ok', 'n'.repeat(81)],
  ])('refuses source %j / name %j', (source, name) => {
    expect(() => integrationDeclarer(source, name)).toThrow(expect.objectContaining({ code: 'bad_declarer' }));
  });
});
