import { describe, expect, it } from 'vitest';
import { events, requests } from '../../core/shared/contract.ts';
import {
  EVENT_NAMES,
  eventChannel,
  isEventChannelName,
  isRequestChannelName,
  REQUEST_NAMES,
  requestChannel,
} from '../../electron/channels.ts';

describe('IPC channel names', () => {
  it('list exactly the contract’s requests and events', () => {
    expect([...REQUEST_NAMES].sort()).toEqual(Object.keys(requests).sort());
    expect([...EVENT_NAMES].sort()).toEqual(Object.keys(events).sort());
  });

  it('accept only own names, never inherited keys or other types', () => {
    expect(isRequestChannelName('slides.list')).toBe(true);
    expect(isEventChannelName('job.state')).toBe(true);
    for (const name of ['__proto__', 'toString', 'constructor', 'job.state', '', 42, null])
      expect(isRequestChannelName(name), String(name)).toBe(false);
    expect(isEventChannelName('slides.list')).toBe(false);
  });

  it('give every request and event its own prefixed channel', () => {
    const channels = [...REQUEST_NAMES.map(requestChannel), ...EVENT_NAMES.map(eventChannel)];
    expect(new Set(channels).size).toBe(channels.length);
    for (const channel of channels) expect(channel).toMatch(/^patchgd:(request|event):/);
  });
});
