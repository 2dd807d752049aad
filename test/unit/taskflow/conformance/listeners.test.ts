/**
 * Conformance: what listeners see for every transition (old state, new state, result or Failure), progress
 * updates, and the built-in capturing / logging / timing listeners. Recorded details: `event_details` in
 * python/{revert,retries,graph,suspend}.json (TaskFlow's atom notifier payloads).
 */
import {
  CapturingListener,
  Engine,
  Failure,
  GraphFlow,
  LinearFlow,
  LoggingListener,
  task,
  TimingListener,
  type AtomEvent,
  type Flow,
  type Logger,
  type ProgressEvent,
} from '../../../../src/taskflow';
import { EXECUTORS, loadRecorded, Recorder, retries, ser } from './harness';

interface Detail {
  atom: string;
  old: string;
  state: string;
  result?: unknown;
}

async function details(
  flow: Flow<object, object>,
  executor: 'serial' | 'parallel',
): Promise<{ atoms: Detail[]; flow: { old: string; state: string; name: string }[] }> {
  const e = new Engine(flow, { executor });
  const atoms: Detail[] = [];
  const flowEv: { old: string; state: string; name: string }[] = [];
  e.atomNotifier.register('*', (ev) => {
    const a = ev as AtomEvent;
    const d: Detail = { atom: a.atomName, old: a.oldState, state: a.state };
    if ('result' in a) d.result = ser(a.result);
    atoms.push(d);
  });
  e.notifier.register('*', (ev) => flowEv.push({ old: ev.oldState, state: ev.state, name: ev.flowName }));
  await e.run().catch(() => undefined);
  return { atoms, flow: flowEv };
}

describe.each(EXECUTORS)('listeners (%s executor)', (executor) => {
  it('see old state, new state and the result or Failure of every transition during a revert', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('f').add(
      rec.t('a', { ret: 'A', provides: 'x' }),
      rec.t('b', { ret: 'B', requires: ['x'], provides: 'y' }),
      rec.t('c', { requires: ['y'], fail: 'c failed' }),
      rec.t('d', { requires: ['x'] }),
    );

    const d = await details(f, executor);

    expect(d.atoms).toEqual(loadRecorded('revert')['linear_revert_order_and_args']!['event_details']);
    expect(d.flow).toEqual([
      { old: 'PENDING', state: 'RUNNING', name: 'f' },
      { old: 'RUNNING', state: 'REVERTED', name: 'f' },
    ]);
  });

  it('see retries: RETRYING, atoms back to PENDING, the retry running again with its new result', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('f', retries.times(rec, 3, { name: 'r', provides: 'attempt' })).add(
      rec.t('a', { ret: 'A', provides: 'x' }),
      rec.t('b', {
        requires: ['attempt', 'x'],
        fail: (kw) => ((kw['attempt'] as number) < 2 ? `attempt ${String(kw['attempt'])} failed` : undefined),
        ret: (kw: Record<string, unknown>) => kw['attempt'],
        provides: 'y',
      }),
    );

    const d = await details(f, executor);

    expect(d.atoms).toEqual(loadRecorded('retries')['times_retry_then_success']!['event_details']);
  });

  it('see REVERT_FAILURE with the revert Failure as result', async () => {
    const rec = new Recorder();
    const f = new LinearFlow('f').add(
      rec.t('a', { revertFail: 'a revert failed' }),
      rec.t('b', { fail: 'b failed' }),
    );

    const d = await details(f, executor);

    expect(d.atoms).toEqual(loadRecorded('suspend')['flow_events_revert_failure']!['event_details']);
    expect(d.flow.map((x) => `${x.old}->${x.state}`)).toEqual(['PENDING->RUNNING', 'RUNNING->FAILURE']);
  });

  it('see IGNORE (from PENDING, no result) for atoms a decider skipped', async () => {
    const rec = new Recorder();
    const g = new GraphFlow('g');
    const [a, c, dd] = [rec.t('a', { ret: 'A' }), rec.t('c', { ret: 'C' }), rec.t('d', { ret: 'D' })];
    g.add(a, c, dd);
    g.link(a, c, { decider: () => false, deciderDepth: 'ATOM' });
    g.link(c, dd);

    const d = await details(g, executor);

    expect(d.atoms).toEqual(loadRecorded('graph')['decider_depth_atom']!['event_details']);
  });

  it('receive progress updates reported from inside a task', async () => {
    const progress: ProgressEvent[] = [];
    const f = new LinearFlow('f').add(
      task('p', (_a: Record<string, unknown>, ctx) => {
        ctx.updateProgress(0.25);
        ctx.updateProgress(0.75, { step: 'copy' });
        return 1;
      }),
    );
    const e = new Engine(f, { executor });
    e.atomNotifier.register('progress', (ev) => progress.push(ev as ProgressEvent));

    await e.run();

    expect(progress.filter((p) => p.progress > 0 && p.progress < 1)).toEqual([
      { atomName: 'p', progress: 0.25 },
      { atomName: 'p', progress: 0.75, details: { step: 'copy' } },
    ]);
  });

  it('receive the engine progress 0 at RUNNING/REVERTING and 1 at SUCCESS/REVERTED around explicit updates', async () => {
    const seen: [string, number][] = [];
    const f = new LinearFlow('x').add(
      task('p', (_a: Record<string, unknown>, ctx) => {
        ctx.updateProgress(0.5);
        return 1;
      }),
      task('f', () => {
        throw new Error('x');
      }),
    );
    const e = new Engine(f, { executor });
    e.atomNotifier.register('progress', (ev) =>
      seen.push([(ev as ProgressEvent).atomName, (ev as ProgressEvent).progress]),
    );

    await e.run().catch(() => undefined);

    const exp = loadRecorded('progress')['progress_sequence']!['progress'];
    expect(seen).toEqual(exp); // p 0, p 0.5, p 1, f 0, f 0 (reverting), f 1, p 0, p 1
  });

  it('CapturingListener records atom and flow values like TaskFlow CaptureListener', async () => {
    const rec = new Recorder();
    const e = new Engine(new LinearFlow('f').add(rec.t('a', { ret: 1 }), rec.t('b', { fail: 'b failed' })), {
      executor,
    });
    const cap = new CapturingListener().attach(e);

    await expect(e.run()).rejects.toThrow('b failed');

    expect(cap.atomValues).toEqual([
      'a RUNNING',
      'a SUCCESS',
      'b RUNNING',
      'b FAILURE',
      'b REVERTING',
      'b REVERTED',
      'a REVERTING',
      'a REVERTED',
    ]);
    expect(cap.flowValues).toEqual(['f RUNNING', 'f REVERTED']);
    const failureEv = cap.atomEvents.find((x) => x.state === 'FAILURE');
    expect(failureEv?.result).toBeInstanceOf(Failure);
    expect((failureEv?.result as Failure).message).toBe('b failed');
  });

  it('LoggingListener logs by outcome: debug ordinary, warn for FAILURE/REVERTING/REVERTED, error for REVERT_FAILURE', async () => {
    const rec = new Recorder();
    const lines: [string, string, Record<string, unknown> | undefined][] = [];
    const log: Logger = {
      debug: (m, meta) => lines.push(['debug', m, meta]),
      info: (m, meta) => lines.push(['info', m, meta]),
      warn: (m, meta) => lines.push(['warn', m, meta]),
      error: (m, meta) => lines.push(['error', m, meta]),
    };
    const e = new Engine(
      new LinearFlow('f').add(
        rec.t('a', { revertFail: 'a revert failed' }),
        rec.t('b', { fail: 'b failed' }),
      ),
      { executor },
    );
    new LoggingListener(log).attach(e);

    await e.run().catch(() => undefined);

    const atomLevels = lines
      .filter((l) => l[2]?.['atom'] !== undefined)
      .map((l) => `${String(l[2]!['atom'])} ${String(l[2]!['state'])} ${l[0]}`);
    expect(atomLevels).toEqual([
      'a RUNNING debug',
      'a SUCCESS debug',
      'b RUNNING debug',
      'b FAILURE warn',
      'b REVERTING warn',
      'b REVERTED warn',
      'a REVERTING warn',
      'a REVERT_FAILURE error',
    ]);
    expect(new Set(lines.map((l) => l[1])).size).toBeLessThanOrEqual(2); // constant messages, data in metadata
  });

  it('TimingListener measures each execute and revert', async () => {
    const f = new LinearFlow('f').add(
      task('slow', async () => {
        await new Promise((r) => setTimeout(r, 30));
        return 1;
      }),
      task('bad', () => {
        throw new Error('bad');
      }),
    );
    const e = new Engine(f, { executor });
    const timing = new TimingListener().attach(e);

    await e.run().catch(() => undefined);

    expect(timing.durations['slow']).toBeGreaterThanOrEqual(25);
    expect(timing.timeline.map((t) => `${t.atom} ${t.phase} ${t.state}`)).toEqual([
      'slow execute SUCCESS',
      'bad execute FAILURE',
      'bad revert REVERTED',
      'slow revert REVERTED',
    ]);
  });
});
