import { describe, expect, it } from 'vitest';
import { safeRedirectPath } from '../../app/domain/navigation';

const HOME = '/dashboard';

describe('safeRedirectPath (finding 5: no open redirect after sign-in)', () => {
  it.each([
    ['/\\evil.example/phish', 'backslash: browsers read /\\ as //'],
    ['/\\/evil.example', 'backslash then slash'],
    ['\\\\evil.example', 'two backslashes'],
    ['/\t/evil.example', 'tab: stripped by the URL parser'],
    ['/\n/evil.example', 'newline'],
    ['/\r/evil.example', 'carriage return'],
    ['/ /evil.example'.replace(' ', '\u0000'), 'NUL'],
    ['//evil.example', 'protocol-relative'],
    ['///evil.example', 'three slashes'],
    ['/.//evil.example', 'dot segment leaving //'],
    ['/./\\evil.example', 'dot segment then backslash'],
    ['https://evil.example/phish', 'absolute URL'],
    ['http:evil.example', 'scheme without slashes'],
    ['javascript:alert(1)', 'javascript: URL'],
    ['data:text/html,hi', 'data: URL'],
    ['evil.example', 'relative without slash'],
    ['', 'empty'],
  ])('refuses %j (%s)', (to) => {
    expect(safeRedirectPath(to, HOME)).toBe(HOME);
  });

  it('refuses nothing given', () => {
    expect(safeRedirectPath(undefined, HOME)).toBe(HOME);
    expect(safeRedirectPath(null, HOME)).toBe(HOME);
  });

  it.each([
    ['/requests?status=paid&team=tm_retail', '/requests?status=paid&team=tm_retail'],
    ['/requests/pr_8842#timeline', '/requests/pr_8842#timeline'],
    ['/dashboard/agents/ag_17', '/dashboard/agents/ag_17'],
    // Encoded separators stay encoded: a path on this site, never another host.
    ['/%5Cevil.example/phish', '/%5Cevil.example/phish'],
    ['/%2F%2Fevil.example', '/%2F%2Fevil.example'],
    ['/a/../reports', '/reports'],
  ])('keeps the same-site path %j as %j', (to, expected) => {
    expect(safeRedirectPath(to, HOME)).toBe(expected);
  });
});
