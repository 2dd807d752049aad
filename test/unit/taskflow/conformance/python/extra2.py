"""Third batch: NEIGHBORS decider depth, never_resolve with a retry, retry/task name clash, suspend with parallel siblings."""
import time

import taskflow.engines
from taskflow import retry
from taskflow.patterns import graph_flow as gf
from taskflow.patterns import linear_flow as lf
from taskflow.patterns import unordered_flow as uf

from common import CALLS, T, err_view, run, save, ser

S = {}
ENGINE = {}


# 1 decider depth NEIGHBORS: the target and its direct successors are ignored, the rest runs
def neighbors(depth):
    g = gf.Flow('g')
    a, c, d, e = T('a', ret='A'), T('c', ret='C'), T('d', ret='D'), T('e', ret='E')
    g.add(a, c, d, e)
    g.link(a, c, decider=lambda history: False, decider_depth=depth)
    g.link(c, d)
    g.link(d, e)
    return g


S['decider_depth_neighbors'], _ = run(neighbors('NEIGHBORS'))

# 2 never_resolve with a retry: no retry, no revert
S['never_resolve_with_retry'], _ = run(lf.Flow('f', retry=retry.Times(3, name='r', provides='n')).add(
    T('a', ret='A'), T('b', requires=['n'], fail=lambda kw: 'b n=%d' % kw['n'])), never_resolve=True)

# 3 a retry named like a task
S['retry_task_name_clash'], _ = run(lf.Flow('f', retry=retry.Times(2, name='a')).add(T('a')))


# 4 suspend with parallel siblings: the running sibling finishes, nothing after starts
class SuspendNow(T):
    def execute(self, **kwargs):
        r = super(SuspendNow, self).execute(**kwargs)
        ENGINE['e'].suspend()
        return r


class Slow(T):
    def execute(self, **kwargs):
        time.sleep(0.1)
        return super(Slow, self).execute(**kwargs)


flow = lf.Flow('f').add(uf.Flow('u').add(SuspendNow('s', ret='S'), Slow('slow', ret='SLOW')), T('after', ret='AFTER'))
e = taskflow.engines.load(flow, engine='parallel')
ENGINE['e'] = e
del CALLS[:]
events = []
e.atom_notifier.register(e.atom_notifier.ANY, lambda state, details: events.append('%s %s' % (details.get('task_name'), state)))
e.run()
S['suspend_parallel_siblings'] = {'events': events, 'flow_state': e.storage.get_flow_state(),
                                  'atom_states': {n: e.storage.get_atom_state(n) for n in ('s', 'slow', 'after')}}

# 5 a failing graph branch while another branch is still pending/running (serial): atoms that never ran are not reverted
g = gf.Flow('g')
a = T('a', ret='A', provides='x')
b = T('b', requires=['x'], fail='b failed')
c = T('c', requires=['x'], ret='C', provides='y')
d = T('d', requires=['y'], ret='D')
g.add(a, b, c, d)
S['graph_branch_failure_pending_successor'], _ = run(g)

# 6 a failure inside an unordered flow while sibling linear flows still have atoms to run: those never run and are
#   not reverted (they stay PENDING)
g = gf.Flow('g').add(
    T('start', ret='S', provides='s'),
    uf.Flow('u').add(
        lf.Flow('l1').add(T('a1', requires=['s'], ret=1, provides='pa1'), T('a2', requires=['pa1'], ret=2, provides='qa')),
        lf.Flow('l2').add(T('b1', requires=['s'], ret=1, provides='pb1'), T('b2', requires=['pb1'], ret=2, provides='qb')),
        T('c', requires=['s'], fail='c failed', provides='qc')),
    T('end', requires=['qa', 'qb', 'qc']))
S['nested_pending_successors_not_reverted'], _ = run(g)

save('extra2', S)
