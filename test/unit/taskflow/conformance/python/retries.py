"""Retry controllers: Times, ForEach, ParameterizedForEach, AlwaysRevert, AlwaysRevertAll; nesting; history."""
from taskflow import retry
from taskflow.patterns import linear_flow as lf
from taskflow.patterns import unordered_flow as uf

from common import CALLS, T, run, save, ser

S = {}


def hist_view(h):
    return [{'result': ser(r), 'failures': sorted(f.keys())} for r, f in h]


def _rec_exec(self, history, kwargs, r):
    CALLS.append({'op': 'retry-execute', 'atom': self.name, 'history_len': len(history),
                  'args': ser(kwargs), 'result': ser(r)})
    return r


def _rec_fail(self, history, d):
    CALLS.append({'op': 'on_failure', 'atom': self.name, 'history': hist_view(history), 'decision': str(d)})
    return d


def _rec_revert(self, history):
    CALLS.append({'op': 'retry-revert', 'atom': self.name, 'history': hist_view(history)})


class Times(retry.Times):
    def execute(self, history, *args, **kwargs):
        return _rec_exec(self, history, kwargs, super(Times, self).execute(history, *args, **kwargs))

    def on_failure(self, history, *args, **kwargs):
        return _rec_fail(self, history, super(Times, self).on_failure(history, *args, **kwargs))

    def revert(self, history, *args, **kwargs):
        _rec_revert(self, history)


class ForEach(retry.ForEach):
    def execute(self, history, *args, **kwargs):
        return _rec_exec(self, history, kwargs, super(ForEach, self).execute(history, *args, **kwargs))

    def on_failure(self, history, *args, **kwargs):
        return _rec_fail(self, history, super(ForEach, self).on_failure(history, *args, **kwargs))

    def revert(self, history, *args, **kwargs):
        _rec_revert(self, history)


class PForEach(retry.ParameterizedForEach):
    def execute(self, values, history):
        return _rec_exec(self, history, {'values': values},
                         super(PForEach, self).execute(values=values, history=history))

    def on_failure(self, values, history):
        return _rec_fail(self, history, super(PForEach, self).on_failure(values=values, history=history))

    def revert(self, values, history, **kwargs):
        _rec_revert(self, history)


class AlwaysRevert(retry.AlwaysRevert):
    def execute(self, history):
        return _rec_exec(self, history, {}, None)

    def on_failure(self, history):
        return _rec_fail(self, history, retry.REVERT)

    def revert(self, history, **kwargs):
        _rec_revert(self, history)


class AlwaysRevertAll(retry.AlwaysRevertAll):
    def execute(self, history):
        return _rec_exec(self, history, {}, None)

    def on_failure(self, history):
        return _rec_fail(self, history, retry.REVERT_ALL)

    def revert(self, history, **kwargs):
        _rec_revert(self, history)


def history_of(e, name):
    try:
        return hist_view(e.storage.get_retry_history(name))
    except Exception as ex:
        return {'error': type(ex).__name__}


def fail_until(n):
    """Fail while the attempt number (from the retry) is < n."""
    return lambda kw: ('attempt %d failed' % kw['attempt']) if kw['attempt'] < n else None


# 1 Times: fails on attempt 1, succeeds on attempt 2
out, e = run(lf.Flow('f', retry=Times(3, name='r', provides='attempt')).add(
    T('a', ret='A', provides='x'),
    T('b', requires=['attempt', 'x'], fail=fail_until(2), ret=lambda kw: kw['attempt'], provides='y')))
out['history'] = history_of(e, 'r')
S['times_retry_then_success'] = out

# 2 Times exhausted -> REVERT (no parent) -> flow REVERTED, original error
out, e = run(lf.Flow('f', retry=Times(2, name='r', provides='attempt')).add(
    T('a', ret='A'),
    T('b', requires=['attempt'], fail=lambda kw: 'attempt %d failed' % kw['attempt'])))
out['history'] = history_of(e, 'r')
S['times_exhausted_reverts'] = out

# 3 a task before the retried subflow: REVERT from inner retry reverts the outer task too
out, e = run(lf.Flow('outer').add(
    T('pre', ret='P'),
    lf.Flow('inner', retry=Times(2, name='r', provides='attempt')).add(
        T('b', requires=['attempt'], fail=lambda kw: 'attempt %d failed' % kw['attempt'])),
    T('post')))
out['history'] = history_of(e, 'r')
S['times_inner_exhausted_outer_reverted'] = out

# 4 inner REVERT defers to the parent retry (outer Times(2)): whole outer re-run
out, e = run(lf.Flow('outer', retry=Times(2, name='r_outer', provides='outer_attempt')).add(
    T('pre', ret='P'),
    lf.Flow('inner', retry=AlwaysRevert('r_inner')).add(
        T('b', requires=['outer_attempt'], fail=fail_until_outer(2) if False else
          (lambda kw: ('outer attempt %d failed' % kw['outer_attempt']) if kw['outer_attempt'] < 2 else None)))))
out['history_outer'] = history_of(e, 'r_outer')
out['history_inner'] = history_of(e, 'r_inner')
S['always_revert_defers_to_parent_retry'] = out if True else None

# 5 REVERT_ALL ignores the parent retry
out, e = run(lf.Flow('outer', retry=Times(3, name='r_outer')).add(
    T('pre', ret='P'),
    lf.Flow('inner', retry=AlwaysRevertAll('r_inner')).add(T('b', fail='b failed'))))
out['history_outer'] = history_of(e, 'r_outer')
S['always_revert_all_ignores_parent'] = out

# 6 Times(revert_all=True) exhausted inside an outer Times: flow reverted entirely
out, e = run(lf.Flow('outer', retry=Times(3, name='r_outer')).add(
    T('pre', ret='P'),
    lf.Flow('inner', retry=Times(2, name='r_inner', revert_all=True)).add(T('b', fail='b failed'))))
S['times_revert_all_exhausted'] = out

# 7 nested Times: inner Times(2) exhausted -> outer Times(2) retries -> inner gets 2 fresh attempts
out, e = run(lf.Flow('outer', retry=Times(2, name='r_outer', provides='oa')).add(
    T('pre', ret='P'),
    lf.Flow('inner', retry=Times(2, name='r_inner', provides='ia')).add(
        T('b', requires=['oa', 'ia'], fail=lambda kw: 'o%d i%d' % (kw['oa'], kw['ia'])))))
S['nested_times'] = out

# 8 ForEach: the value is provided; fails on 1 and 2, succeeds on 3
out, e = run(lf.Flow('f', retry=ForEach([1, 2, 3], name='r', provides='v')).add(
    T('b', requires=['v'], fail=lambda kw: ('v=%d failed' % kw['v']) if kw['v'] < 3 else None,
      ret=lambda kw: kw['v'] * 10, provides='out')))
out['history'] = history_of(e, 'r')
S['foreach_until_success'] = out

# 9 ForEach runs out
out, e = run(lf.Flow('f', retry=ForEach(['x', 'y'], name='r', provides='v')).add(
    T('b', requires=['v'], fail=lambda kw: 'v=%s failed' % kw['v'])))
out['history'] = history_of(e, 'r')
S['foreach_runs_out'] = out

# 10 ParameterizedForEach reads its values from the store
out, e = run(lf.Flow('f', retry=PForEach(name='r', provides='v', rebind=['vals'])).add(
    T('b', requires=['v'], fail=lambda kw: ('v=%s failed' % kw['v']) if kw['v'] != 'ok' else None,
      ret=lambda kw: kw['v'], provides='out')), store={'vals': ['bad', 'ok', 'never']})
out['history'] = history_of(e, 'r')
S['parameterized_foreach'] = out

# 10b ParameterizedForEach with 'values' from the store, runs out
out, e = run(lf.Flow('f', retry=PForEach(name='r', provides='v')).add(
    T('b', requires=['v'], fail=lambda kw: 'v=%s failed' % kw['v'])), store={'values': [1, 2]})
S['parameterized_foreach_runs_out'] = out

# 11 retry with unordered subflow, parallel engine
out, e = run(lf.Flow('f', retry=Times(2, name='r', provides='attempt')).add(
    uf.Flow('u').add(T('a', ret='A'),
                     T('b', requires=['attempt'], fail=fail_until(2)))), engine='parallel')
S['times_unordered_parallel'] = out

# 12 retry with defer_reverts: inner REVERT -> outer task reverted after the retry decides
out, e = run(lf.Flow('outer').add(
    T('pre', ret='P'),
    lf.Flow('inner', retry=AlwaysRevert('r')).add(T('b', ret='B'), T('c', fail='c failed'))),
    defer_reverts=True)
S['always_revert_defer_reverts'] = out

# 13 retry results are stored under provides; history after success is kept
out, e = run(lf.Flow('f', retry=Times(3, name='r', provides='attempt')).add(
    T('b', requires=['attempt'], fail=fail_until(3), ret=lambda kw: kw['attempt'], provides='res')))
out['history'] = history_of(e, 'r')
S['times_history_two_failures'] = out

# 14 AlwaysRevert without a parent retry and without defer_reverts: only the subflow reverts
out, e = run(lf.Flow('outer').add(
    T('pre', ret='P'),
    lf.Flow('inner', retry=AlwaysRevert('r')).add(T('b', ret='B'), T('c', fail='c failed')),
    T('post')))
S['always_revert_no_parent'] = out

# 15 AlwaysRevertAll at top level
out, e = run(lf.Flow('f', retry=AlwaysRevertAll('r')).add(T('a', ret='A'), T('b', fail='b failed')))
S['always_revert_all_top'] = out

# 16 nested Times with defer_reverts (outer exhaustion reverts everything)
out, e = run(lf.Flow('outer', retry=Times(2, name='r_outer', provides='oa')).add(
    T('pre', ret='P'),
    lf.Flow('inner', retry=Times(2, name='r_inner', provides='ia')).add(
        T('b', requires=['oa', 'ia'], fail=lambda kw: 'o%d i%d' % (kw['oa'], kw['ia'])))), defer_reverts=True)
S['nested_times_defer_reverts'] = out

# 17 ForEach with an empty collection
out, e = run(lf.Flow('f', retry=ForEach([], name='r', provides='v')).add(T('b', requires=['v'])))
S['foreach_empty'] = out

save('retries', S)
