import { Failure, MissingDependencies, WrappedFailure } from '../../../src/taskflow';

class QuotaError extends Error {
  readonly code = 'OVER_QUOTA';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'QuotaError';
  }
}

describe('Failure', () => {
  it('captures class chain, message, stack, details and cause chain', () => {
    const err = new QuotaError('too big', { cause: new RangeError('size 5 > 3', { cause: 'root string' }) });

    const f = Failure.fromError(err);

    expect(f.excTypeNames).toEqual(['QuotaError', 'Error']);
    expect(f.message).toBe('too big');
    expect(f.stack).toContain('too big');
    expect(f.details).toEqual({ code: 'OVER_QUOTA' });
    expect(f.cause?.exceptionType).toBe('RangeError');
    expect(f.cause?.cause?.message).toBe('root string');
    expect(f.error).toBe(err);
  });

  it('round-trips through JSON with the cause chain and stays comparable', () => {
    const f = Failure.fromError(
      new MissingDependencies('a', ['x'], 'execute', { cause: new TypeError('inner') }),
    );

    const back = Failure.fromJSON(JSON.parse(JSON.stringify(f)));

    expect(back.toJSON()).toEqual(f.toJSON());
    expect(back.matches(f)).toBe(true);
    expect(back.check('TaskFlowError', 'Nope')).toBe('TaskFlowError');
    expect(back.cause?.check('TypeError')).toBe('TypeError');
    expect(back.error).toBeUndefined();
    expect(Object.keys(JSON.parse(JSON.stringify(back)))).not.toContain('error');
  });

  it('reraises the live error, or a rebuilt one after deserialisation', () => {
    const err = new QuotaError('over');
    const live = Failure.fromError(err);
    const dead = Failure.fromJSON(live.toJSON());

    expect(() => live.reraise()).toThrow(err);
    const rebuilt = (() => {
      try {
        dead.reraise();
      } catch (e) {
        return e as Error & { code?: string };
      }
    })();
    expect(rebuilt?.name).toBe('QuotaError');
    expect(rebuilt?.message).toBe('over');
    expect(rebuilt?.code).toBe('OVER_QUOTA');
  });

  it('wraps non-Error throwables', () => {
    expect(Failure.fromError('just text').toJSON()).toEqual({
      excTypeNames: ['Error'],
      message: 'just text',
    });
    expect(() => Failure.fromJSON({ nope: true } as never)).toThrow(TypeError);
  });

  it('does not match failures with a different message or class', () => {
    const a = Failure.fromError(new Error('x'));

    expect(a.matches(Failure.fromError(new Error('y')))).toBe(false);
    expect(a.matches(Failure.fromError(new TypeError('x')))).toBe(false);
  });

  it('WrappedFailure holds every failure and finds one by class', () => {
    const w = new WrappedFailure([Failure.fromError(new Error('a')), Failure.fromError(new QuotaError('b'))]);

    expect(w.failures).toHaveLength(2);
    expect(w.check('QuotaError')?.message).toBe('b');
    expect(w.code).toBe('WRAPPED_FAILURE');
    expect(w.message).toContain('QuotaError: b');
  });
});
