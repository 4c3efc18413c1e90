import { describe, expect, it } from 'vitest';
import { deleteAfter, isNewListen, mayHold, mayListen, passableRange } from '../../src/domain/recording-rules';
import { speechSeconds } from '../../src/domain/speech';
import { speaker } from '../../src/twiml/hotline-twiml';

describe('recording rules', () => {
  it('lets admins, supervisors and quality inspectors listen, never a viewer; only admins and supervisors hold', () => {
    expect(['admin', 'supervisor', 'qc', 'viewer'].filter(mayListen)).toEqual(['admin', 'supervisor', 'qc']);
    expect(['admin', 'supervisor', 'qc', 'viewer'].filter(mayHold)).toEqual(['admin', 'supervisor']);
  });

  it('keeps a recording RECORDING_RETENTION_DAYS whole days', () => {
    expect(deleteAfter(new Date('2026-11-02T02:00:00Z'), 180).toISOString()).toBe('2027-05-01T02:00:00.000Z');
  });

  it('passes on one well-formed byte range and drops anything else', () => {
    expect(passableRange('bytes=0-')).toBe('bytes=0-');
    expect(passableRange(' bytes=100-199 ')).toBe('bytes=100-199');
    expect(passableRange('bytes=-500')).toBe('bytes=-500');
    expect(passableRange('bytes=0-1,5-9')).toBeUndefined();
    expect(passableRange('items=0-1')).toBeUndefined();
    expect(passableRange('bytes=0-1\r\nX-Evil: 1')).toBeUndefined();
    expect(passableRange(undefined)).toBeUndefined();
  });

  it('audits a request from the start as a listen, a later part as a seek within a listen begun in the last hour, else as a listen of its own', () => {
    const now = new Date('2026-11-02T03:00:00Z');
    const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);
    expect(isNewListen(undefined, minutesAgo(1), now)).toBe(true);
    expect(isNewListen('bytes=0-', minutesAgo(1), now)).toBe(true);
    expect(isNewListen('bytes=0-99', null, now)).toBe(true);
    expect(isNewListen('bytes=1000-', minutesAgo(59), now)).toBe(false);
    expect(isNewListen('bytes=1000-', minutesAgo(60), now)).toBe(false);
    expect(isNewListen('bytes=1000-', minutesAgo(61), now)).toBe(true);
    expect(isNewListen('bytes=1-', null, now)).toBe(true);
    expect(isNewListen('bytes=-500', null, now)).toBe(true);
  });

  it('tells the caller in the hold and waiting-line prompts only, at 1.4 s each in Mandarin, and drops the word on recording when off', () => {
    const on = speaker('zh-CN', undefined, { recording: true }).text;
    const off = speaker('zh-CN', undefined, { recording: false }).text;
    expect(on.holdOn).toBe('请稍候，通话将被录音。');
    expect(on.allBusy(1)).toBe('客服正忙，您前面还有1位客户，请稍候。通话将被录音。');
    expect(on.greeting).toBe(off.greeting);
    expect(Math.round((speechSeconds(on.holdOn) - speechSeconds(off.holdOn)) * 10) / 10).toBe(1.4);
    expect(off.holdOn).toBe('请稍候，');
    expect(on.callerWarning).toContain('录音');
    expect(off.callerWarning).not.toContain('录音');
  });
});
