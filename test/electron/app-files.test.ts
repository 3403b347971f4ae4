import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveAppFile } from '../../electron/app-files.ts';

const root = path.resolve('/srv/renderer/dist');

describe('resolveAppFile', () => {
  it('maps app URLs to files under the renderer folder with their type', () => {
    expect(resolveAppFile(root, 'app://patchgd/index.html')).toEqual({
      file: path.join(root, 'index.html'),
      contentType: 'text/html; charset=utf-8',
      isHtml: true,
    });
    expect(resolveAppFile(root, 'app://patchgd/assets/index-abc.js?v=1')?.file).toBe(
      path.join(root, 'assets', 'index-abc.js'),
    );
    expect(resolveAppFile(root, 'app://patchgd/assets/a%20b.css')?.file).toBe(
      path.join(root, 'assets', 'a b.css'),
    );
  });

  it('serves index.html for the bare origin', () => {
    expect(resolveAppFile(root, 'app://patchgd/')?.file).toBe(path.join(root, 'index.html'));
    expect(resolveAppFile(root, 'app://patchgd')?.file).toBe(path.join(root, 'index.html'));
  });

  it.each([
    'app://patchgd/../../etc/passwd.js',
    'app://patchgd/%2e%2e/%2e%2e/secret.js',
    'app://patchgd/assets/..%2f..%2f..%2fsecret.js',
  ])('keeps %s inside the renderer folder', (url) => {
    const resolved = resolveAppFile(root, url);
    expect(resolved).not.toBeNull();
    expect(resolved!.file.startsWith(root + path.sep)).toBe(true);
  });

  it.each([
    'app://patchgd/..%5c..%5csecret.js',
    'app://patchgd/index.html%00.js',
    'app://patchgd/%E0%A4%A.js',
    'app://patchgd/data/store.sqlite',
    'app://patchgd/assets',
    'app://other/index.html',
    'file:///srv/renderer/dist/index.html',
    'https://patchgd/index.html',
  ])('refuses %s', (url) => {
    expect(resolveAppFile(root, url)).toBeNull();
  });
});
