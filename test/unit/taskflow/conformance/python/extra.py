"""Second batch: retries with requirements, retries in graphs and unordered flows, deep nesting."""
from taskflow import retry
from taskflow.patterns import graph_flow as gf
from taskflow.patterns import linear_flow as lf
from taskflow.patterns import unordered_flow as uf

from common import CALLS, T, run, save, ser
from retries import Times, ForEach, hist_view, history_of

S = {}

# 1 a retry that requires a value provided by an earlier atom and rebinds it
out, e = run(lf.Flow('outer').add(
    T('mk', ret=['p', 'q', 'r'], provides='choices'),
    lf.Flow('inner', retry=__import__('retries').PForEach(name='r', provides='choice', rebind={'values': 'choices'})).add(
        T('use', requires=['choice'], fail=lambda kw: ('%s bad' % kw['choice']) if kw['choice'] != 'q' else None,
          ret=lambda kw: kw['choice'].upper(), provides='used'))))
out['history'] = history_of(e, 'r')
S['retry_requires_earlier_value'] = out

# 2 retry on a graph flow: a decider-ignored atom is reset to PENDING when the retry retries
def g_retry():
    g = gf.Flow('g', retry=Times(2, name='r', provides='attempt'))
    a = T('a', ret=lambda kw: kw['attempt'], requires=['attempt'], provides='av')
    skip = T('skip', ret='S')
    f = T('f', requires=['attempt'], fail=lambda kw: 'f attempt %d' % kw['attempt'] if kw['attempt'] < 2 else None)
    g.add(a, skip, f)
    g.link(a, skip, decider=lambda history: False)
    g.link(a, f)
    return g


S['graph_retry_with_ignored_atom'], _ = run(g_retry())

# 3 three-deep nesting with a retry in the middle level
out, e = run(lf.Flow('top').add(
    T('t0', ret='T0', provides='t0'),
    uf.Flow('mid', retry=Times(2, name='r_mid', provides='m')).add(
        lf.Flow('leafA').add(T('a1', requires=['t0'], ret='A1', provides='a1'),
                             T('a2', requires=['a1', 'm'], fail=lambda kw: 'a2 m=%d' % kw['m'] if kw['m'] < 2 else None,
                               ret='A2', provides='a2')),
        lf.Flow('leafB').add(T('b1', requires=['t0'], ret='B1', provides='b1'))),
    T('t1', requires=['a2', 'b1'], ret='T1')))
S['deep_nesting_mid_retry'] = out

# 4 a retry whose sub-flow fails in two unordered branches at once (parallel)
out, e = run(lf.Flow('f', retry=Times(2, name='r', provides='n')).add(
    uf.Flow('u').add(T('x1', requires=['n'], fail=lambda kw: 'x1 n=%d' % kw['n'] if kw['n'] < 2 else None),
                     T('x2', requires=['n'], fail=lambda kw: 'x2 n=%d' % kw['n'] if kw['n'] < 2 else None))),
    engine='parallel')
out['history'] = history_of(e, 'r')
S['retry_two_failures_in_one_attempt'] = out

# 5 unordered flow with a retry attached directly
out, e = run(uf.Flow('u', retry=ForEach([1, 2], name='r', provides='v')).add(
    T('ok', ret='OK'), T('needs2', requires=['v'], fail=lambda kw: 'v=%d' % kw['v'] if kw['v'] != 2 else None)))
S['unordered_flow_with_retry'] = out

# 6 revert failure with several execute failures in parallel
out, e = run(lf.Flow('f').add(
    T('a', ret='A', revert_fail='a revert failed'),
    uf.Flow('u').add(T('b1', fail='b1 failed'), T('b2', fail='b2 failed'))), engine='parallel')
S['revert_failure_after_parallel_failures'] = out

# 7 retry execute raising (ForEach out of values after a parent retry re-runs it? no: simple retry requiring a missing optional)
# task whose execute returns a Failure-like None and provides list with None result
out, e = run(lf.Flow('f').add(T('a', ret=None, provides={'x', 'y'}), T('b', requires=['x'])))
S['keyed_provides_none_result'] = out

# 8 a retry exhausted by two sibling failures per attempt: the final rejection wraps the last attempt's failures
out, e = run(lf.Flow('f', retry=retry.Times(2, name='r', provides='n')).add(
    uf.Flow('u').add(T('x1', requires=['n'], fail=lambda kw: 'x1 n=%d' % kw['n']),
                     T('x2', requires=['n'], fail=lambda kw: 'x2 n=%d' % kw['n']))), engine='parallel')
S['retry_exhausted_two_failures'] = out

save('extra', S)
