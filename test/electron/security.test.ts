import { describe, expect, it } from 'vitest';
import {
  APP_ENTRY_URL,
  APP_ORIGIN,
  CONTENT_SECURITY_POLICY,
  isAppUrl,
  isTrustedSender,
  withCspHeader,
  withCspMeta,
} from '../../electron/security.ts';

/** The CSP as directive → sources. */
function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name, ...sources]) => [name!, sources]),
  );
}

describe('sender check', () => {
  it('accepts frames of the app page', () => {
    expect(isTrustedSender(APP_ENTRY_URL)).toBe(true);
    expect(isTrustedSender(`${APP_ORIGIN}/`)).toBe(true);
    expect(isTrustedSender(`${APP_ORIGIN}/index.html#/slides/3`)).toBe(true);
  });

  it.each([
    'https://example.com/',
    'http://127.0.0.1:5173/',
    'file:///home/user/renderer/dist/index.html',
    'app://patchgd.evil.com/index.html',
    'app://evil/index.html',
    'app://user@patchgd/index.html',
    'app://patchgd:8080/index.html',
    'slide://3/tiles/0/0/0',
    'devtools://devtools/bundled/inspector.html',
    'about:blank',
    'data:text/html,<script>1</script>',
    'not a url',
    '',
  ])('refuses %s', (url) => {
    expect(isTrustedSender(url)).toBe(false);
  });

  it('refuses a missing frame', () => {
    expect(isTrustedSender(null)).toBe(false);
    expect(isTrustedSender(undefined)).toBe(false);
  });

  it('isAppUrl compares the host exactly, not as a prefix', () => {
    expect(isAppUrl('app://patchgd/x.js')).toBe(true);
    expect(isAppUrl('app://patchgdx/x.js')).toBe(false);
  });
});

describe('content security policy', () => {
  const csp = directives(CONTENT_SECURITY_POLICY);

  it('denies everything not listed', () => {
    expect(csp.get('default-src')).toEqual(["'none'"]);
    expect(csp.get('object-src')).toEqual(["'none'"]);
    expect(csp.get('base-uri')).toEqual(["'none'"]);
    expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
  });

  it('runs only the app’s own scripts: no remote, inline or eval', () => {
    expect(csp.get('script-src')).toEqual(["'self'"]);
    for (const [name, sources] of csp) {
      for (const source of sources) {
        expect(source, `${name} ${source}`).not.toMatch(/^(https?:|wss?:|\*|'unsafe-eval')/);
        if (name !== 'style-src') expect(source, `${name} ${source}`).not.toBe("'unsafe-inline'");
      }
    }
  });

  it('lets images and fetches reach the slide protocol', () => {
    expect(csp.get('img-src')).toContain('slide:');
    expect(csp.get('connect-src')).toContain('slide:');
  });

  it('meta tag lands right after <head> with the policy intact', () => {
    const html = '<!doctype html><html><head lang="en"><title>x</title></head><body></body></html>';
    const out = withCspMeta(html);
    const meta = /<head lang="en">\s*<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(out);
    expect(meta?.[1]).toBe(CONTENT_SECURITY_POLICY);
    expect(out.indexOf('<title>')).toBeGreaterThan(out.indexOf('Content-Security-Policy'));
  });

  it('header replaces a CSP of any case and keeps other headers', () => {
    const out = withCspHeader({
      'content-security-policy': ['default-src *'],
      'Content-Type': ['text/html'],
    });
    expect(out).toEqual({
      'Content-Type': ['text/html'],
      'Content-Security-Policy': [CONTENT_SECURITY_POLICY],
    });
    expect(withCspHeader(undefined)).toEqual({ 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] });
  });
});
