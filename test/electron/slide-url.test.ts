import { describe, expect, it } from 'vitest';
import { electronSlideUrls, fillTileUrl } from '../../core/shared/api.ts';
import { slideSegments } from '../../electron/slide-url.ts';

describe('slideSegments', () => {
  it('reads the URLs the Electron slide URL templates produce', () => {
    expect(slideSegments(fillTileUrl(electronSlideUrls.tileTemplate(3), 2, 10, 7))).toEqual([
      '3',
      'tiles',
      '2',
      '10',
      '7',
    ]);
    expect(slideSegments(electronSlideUrls.thumbnail(42))).toEqual(['42', 'thumb']);
  });

  it('undoes Chromium’s IPv4 spelling of a numeric standard-scheme host', () => {
    expect(slideSegments('slide://0.0.0.3/tiles/0/1/2')).toEqual(['3', 'tiles', '0', '1', '2']);
    expect(slideSegments('slide://0.1.0.0/thumb')).toEqual(['65536', 'thumb']);
  });

  it.each([
    'http://3/tiles/0/0/0',
    'slide://3/tiles/0/0/0?path=/etc/passwd',
    'slide://user@3/thumb',
    'slide://abc/thumb',
    'slide://0.0.0.300/thumb',
    'not a url',
  ])('refuses %s', (url) => {
    expect(slideSegments(url)).toBeNull();
  });
});
