"""Fourth batch: retries that fail themselves, a retry used as a task, graph depending on a retried sub-flow."""
import taskflow.engines
from taskflow import retry
from taskflow.patterns import graph_flow as gf
from taskflow.patterns import linear_flow as lf
from taskflow.patterns import unordered_flow as uf

from common import CALLS, T, err_view, run, save, ser

S = {}


class FailingRetry(retry.Retry):
    def execute(self, **kwargs):
        raise ValueError('OMG')

    def on_failure(self, **kwargs):
        return retry.REVERT


class NastyFailingRetry(FailingRetry):
    def revert(self, **kwargs):
        raise ValueError('WOOT')


def hist(e, name):
    h = e.storage.get_retry_history(name)
    return {'len': len(h), 'failure': ser(h.failure) if h.failure is not None else None,
            'caused_by_retry': h.caused_by(ValueError, include_retry=True),
            'caused_by_no_retry': h.caused_by(ValueError)}


# 1 the retry's own execute raises
out, e = run(lf.Flow('f', FailingRetry(name='r')).add(T('a', ret='A')))
out['history'] = hist(e, 'r')
S['retry_execute_fails'] = out

# 2 ... and its revert raises too
out, e = run(lf.Flow('f', NastyFailingRetry(name='r')).add(T('a', ret='A')))
S['retry_revert_fails'] = out

# 3 a retry added as a plain atom of a flow
out, e = run(lf.Flow('f').add(retry.Times(2, name='r', provides='x')))
S['retry_used_as_task'] = out

# 4 graph: 'a' requires x provided inside a retried linear sub-flow; c fails once
g = gf.Flow('g').add(
    T('a', requires=['x'], ret='A'),
    lf.Flow('sub', retry=retry.Times(2, name='r', provides='n')).add(
        T('b', ret=lambda kw: kw['n'] * 11, requires=['n'], provides='x'),
        T('c', requires=['n'], fail=lambda kw: 'c n=%d' % kw['n'] if kw['n'] < 2 else None)))
S['graph_depends_on_retried_subflow'], _ = run(g)

# 5 run a reverted flow with a retry again: fails again the same way
out, e = run(lf.Flow('f', retry=retry.Times(2, name='r', provides='n')).add(T('b', fail='b failed')))
del CALLS[:]
try:
    e.run()
    second = None
except Exception as ex:
    second = err_view(ex)
S['rerun_reverted_flow_with_retry'] = {'first': out, 'second_raised': second, 'second_calls': list(CALLS),
                                       'second_flow_state': e.storage.get_flow_state()}

save('extra3', S)


# 6 names provided by a retry are visible after its sub-flow
S2 = {}
S2['retry_provides_visible_after_subflow'], _ = run(lf.Flow('outer').add(
    lf.Flow('inner', retry=retry.Times(2, name='r', provides='n')).add(T('a', ret='A')),
    T('b', requires=['n'], ret=lambda kw: kw['n'])))

# 7 a retry requiring a name nobody provides
S2['retry_missing_requirement'], _ = run(lf.Flow('f', retry=retry.ParameterizedForEach(name='r', provides='v')).add(T('a')))

# 8 a retry's provides are not visible to an unordered sibling flow
S2['retry_provides_not_visible_to_unordered_sibling'], _ = run(uf.Flow('u').add(
    lf.Flow('inner', retry=retry.Times(2, name='r', provides='n')).add(T('a', ret='A')),
    T('b', requires=['n'])))
save('extra4', S2)
