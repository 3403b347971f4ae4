import { describe, expect, it } from 'vitest';
import { events, ipcOutcomeSchema, requests, type RequestName } from '../../core/shared/contract.ts';
import { parseEvent, parseRequest, parseResult } from '../../core/shared/validate.ts';
import { eventExamples, requestExamples } from './examples.ts';

const requestNames = Object.keys(requests) as RequestName[];

describe('request schemas', () => {
  it('have examples for every request of the contract', () => {
    expect(Object.keys(requestExamples).sort()).toEqual([...requestNames].sort());
  });

  for (const name of requestNames) {
    const examples = requestExamples[name];
    it(`${name}: accepts a valid example and rejects invalid params and results with typed errors`, () => {
      const params = parseRequest(name, examples.params);
      expect(params.ok, JSON.stringify(params)).toBe(true);
      const result = parseResult(name, examples.result);
      expect(result.ok, JSON.stringify(result)).toBe(true);

      for (const bad of examples.badParams) {
        const parsed = parseRequest(name, bad);
        expect(parsed.ok, `params ${JSON.stringify(bad)}`).toBe(false);
        if (parsed.ok) continue;
        expect(parsed.error.code).toBe('invalid-request');
        expect(parsed.error.issues.length).toBeGreaterThan(0);
        expect(parsed.error.message).toContain(`invalid params for ${name}`);
        expect(parsed.error.file).toBeNull();
      }
      for (const bad of examples.badResults) {
        const parsed = parseResult(name, bad);
        expect(parsed.ok, `result ${JSON.stringify(bad)}`).toBe(false);
        if (!parsed.ok) expect(parsed.error.code).toBe('invalid-result');
      }
    });
  }

  it('fills defaults into the params a handler receives', () => {
    const parsed = parseRequest('slides.list', { folderId: 3 });
    expect(parsed).toEqual({
      ok: true,
      value: { folderId: 3, sort: 'imageId', direction: 'asc', filter: {}, offset: 0, limit: 100 },
    });
    const training = parseRequest('training.start', { folderId: 1, config: { epochs: 2 } });
    expect(training.ok && training.value.config).toMatchObject({ epochs: 2, patchSize: 32, sampling: 1 / 8 });
  });

  it('names the path of each problem', () => {
    const parsed = parseRequest('slides.list', { folderId: 1, filter: { labels: [1, 9] }, extra: 1 });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error.issues.map((i) => i.path).sort()).toEqual(['', 'filter.labels.1']);
  });

  it('strips fields a result carries beyond the contract', () => {
    const parsed = parseResult('reviews.get', { ...requestExamples['reviews.get'].result, secret: 'x' });
    expect(parsed.ok && Object.keys(parsed.value ?? {})).toEqual(
      Object.keys(requestExamples['reviews.get'].result ?? {}),
    );
  });

  it('answers unknown channels, including prototype keys, with unknown-channel', () => {
    for (const name of ['slides.delete', '__proto__', 'toString', 'constructor', '']) {
      const request = parseRequest(name, {});
      const result = parseResult(name, {});
      const event = parseEvent(name, {});
      for (const parsed of [request, result, event]) {
        expect(parsed.ok).toBe(false);
        if (!parsed.ok) expect(parsed.error.code).toBe('unknown-channel');
      }
    }
  });
});

describe('event schemas', () => {
  it('have examples for every event of the contract', () => {
    expect(Object.keys(eventExamples).sort()).toEqual(Object.keys(events).sort());
  });

  for (const name of Object.keys(events) as (keyof typeof events)[]) {
    it(`${name}: accepts valid payloads and rejects invalid ones with typed errors`, () => {
      for (const valid of eventExamples[name].valid) {
        const parsed = parseEvent(name, valid);
        expect(parsed.ok, JSON.stringify(parsed)).toBe(true);
      }
      for (const invalid of eventExamples[name].invalid) {
        const parsed = parseEvent(name, invalid);
        expect(parsed.ok, JSON.stringify(invalid)).toBe(false);
        if (!parsed.ok) {
          expect(parsed.error.code).toBe('invalid-event');
          expect(parsed.error.issues.length).toBeGreaterThan(0);
        }
      }
    });
  }
});

describe('outcome schema', () => {
  it('describes both answers a request can get on the wire', () => {
    const error = parseRequest('reviews.get', {});
    expect(ipcOutcomeSchema.safeParse(error).success).toBe(true);
    expect(ipcOutcomeSchema.safeParse(parseRequest('reviews.get', { slideId: 1 })).success).toBe(true);
    expect(ipcOutcomeSchema.safeParse({ ok: false, error: { code: 'oops', message: '' } }).success).toBe(
      false,
    );
  });
});
