"""Revert order and arguments, atoms that never ran, revert failures, WrappedFailure, engine options."""
from taskflow.patterns import graph_flow as gf
from taskflow.patterns import linear_flow as lf
from taskflow.patterns import unordered_flow as uf

from common import T, run, save

S = {}

# linear: c fails -> c reverts with its Failure, then b, a in reverse completion order; d never ran
def lin():
    return lf.Flow('f').add(
        T('a', ret='A', provides='x'),
        T('b', ret='B', requires=['x'], provides='y'),
        T('c', requires=['y'], fail='c failed'),
        T('d', requires=['x']))


S['linear_revert_order_and_args'], _ = run(lin())
S['linear_revert_parallel'], _ = run(lin(), engine='parallel')

# first atom fails: only it reverts
S['first_atom_fails'], _ = run(lf.Flow('f').add(T('a', fail='a failed'), T('b')))

# graph: reverse topological order (diamond a -> (b, c) -> d, d fails)
def diamond(fail='d failed'):
    return gf.Flow('g').add(
        T('a', ret=1, provides='x'),
        T('b', ret=2, requires=['x'], provides='y'),
        T('c', ret=3, requires=['x'], provides='z'),
        T('d', requires=['y', 'z'], fail=fail))


S['graph_diamond_revert'], _ = run(diamond())

# revert failure: b's revert throws after c failed -> b REVERT_FAILURE, flow FAILURE; is a reverted?
S['revert_failure_stops'], _ = run(lf.Flow('f').add(
    T('a', ret='A', provides='x'),
    T('b', ret='B', revert_fail='b revert failed'),
    T('c', fail='c failed')))

# revert failure of the failing atom itself
S['revert_failure_of_failing_atom'], _ = run(lf.Flow('f').add(
    T('a', ret='A'),
    T('c', fail='c failed', revert_fail='c revert failed')))

# revert failure inside an unordered flow: do siblings still revert?
S['revert_failure_unordered_siblings'], _ = run(lf.Flow('f').add(
    T('a', ret='A'),
    uf.Flow('u').add(T('b1', ret=1, revert_fail='b1 revert failed'), T('b2', ret=2)),
    T('c', fail='c failed')))

# several failures in parallel -> WrappedFailure
S['parallel_two_failures_wrapped'], _ = run(lf.Flow('f').add(
    T('a', ret='A'),
    uf.Flow('u').add(T('b1', fail='b1 failed'), T('b2', fail='b2 failed'), T('b3', ret=3))),
    engine='parallel')
# the same on the serial engine (unordered siblings are all scheduled together)
S['serial_two_failures_unordered'], _ = run(lf.Flow('f').add(
    T('a', ret='A'),
    uf.Flow('u').add(T('b1', fail='b1 failed'), T('b2', fail='b2 failed'), T('b3', ret=3))))

# never_resolve: fail without reverting
S['never_resolve'], _ = run(lin(), never_resolve=True)

# defer_reverts (no retry involved: same as normal)
S['defer_reverts_no_retry'], _ = run(lin(), defer_reverts=True)

# revert argument: task with optional/rebind gets the same args in revert
S['revert_gets_rebound_args'], _ = run(lf.Flow('f').add(
    T('a', ret='A', provides='x'),
    T('b', ret='B', requires=['v'], rebind={'v': 'x'}, inject={'w': 'W'}),
    T('c', fail='c failed')), store={'s': 1})

# a reverted flow run again (same engine) starts from scratch
from common import CALLS
import taskflow.engines
out, e = run(lin())
del CALLS[:]
try:
    e.run()
    second = None
except Exception as ex:
    second = type(ex).__name__
S['rerun_after_revert'] = {'second_raised': second, 'second_calls': list(CALLS),
                           'flow_state': e.storage.get_flow_state()}

save('revert', S)
