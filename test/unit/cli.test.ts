import { describe, expect, it } from 'vitest';
import { formatError } from '../../core/base/errors.ts';
import { SlideError } from '../../core/base/errors.ts';

describe('formatError', () => {
  it('names the file and the problem on one line', () => {
    expect(formatError(new SlideError('/a/b.tiff', 'not a TIFF file'))).toBe(
      'error: /a/b.tiff: not a TIFF file',
    );
  });
  it('falls back to the message of a plain error', () => {
    expect(formatError(new Error('boom'))).toBe('error: boom');
  });
});
