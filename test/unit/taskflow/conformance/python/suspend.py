"""Suspend/resume, resume from persisted flow detail, atoms left RUNNING, flow-level state sequences."""
import contextlib

import taskflow.engines
from taskflow.patterns import linear_flow as lf
from taskflow.persistence import backends
from taskflow.persistence import models
from taskflow.utils import persistence_utils as pu

from common import CALLS, T, err_view, run, save, ser

S = {}
ENGINE = {}


class Suspender(T):
    """Succeeds and asks the engine to suspend while it runs."""

    def execute(self, **kwargs):
        r = super(Suspender, self).execute(**kwargs)
        ENGINE['e'].suspend()
        return r


class RevertSuspender(T):
    def revert(self, **kwargs):
        super(RevertSuspender, self).revert(**kwargs)
        ENGINE['e'].suspend()


def attach(e, events, flow_events):
    e.notifier.register(e.notifier.ANY, lambda state, details: flow_events.append(state))
    e.atom_notifier.register(e.atom_notifier.ANY, lambda state, details: events.append(
        '%s %s' % (details.get('task_name') or details.get('retry_name'), state)))


def snapshot(e, names):
    return {n: e.storage.get_atom_state(n) for n in names}


def run_phase(e):
    del CALLS[:]
    events, flow_events = [], []
    attach(e, events, flow_events)
    try:
        e.run()
        raised = None
    except Exception as ex:
        raised = err_view(ex)
    return {'raised': raised, 'events': list(events), 'flow_events': list(flow_events), 'calls': list(CALLS),
            'flow_state': e.storage.get_flow_state()}


def lin():
    return lf.Flow('f').add(T('a', ret='A', provides='x'),
                            Suspender('b', ret='B', requires=['x'], provides='y'),
                            T('c', ret='C', requires=['y'], provides='z'))


# 1 suspend and run again on the same engine
e = taskflow.engines.load(lin(), store={'s': 1})
ENGINE['e'] = e
p1 = run_phase(e)
p1['atom_states'] = snapshot(e, ['a', 'b', 'c'])
ENGINE['e'] = e
p2 = run_phase(e)
p2['atom_states'] = snapshot(e, ['a', 'b', 'c'])
p2['results'] = ser(e.storage.fetch_all())
S['suspend_then_run_again'] = {'first': p1, 'second': p2}

# 2 suspend, then resume in a NEW engine from the same flow detail (memory backend)
backend = backends.fetch({'connection': 'memory://'})
with contextlib.closing(backend.get_connection()) as conn:
    conn.upgrade()
book = models.LogBook('book')
flow = lin()
fd = pu.create_flow_detail(flow, book=book, backend=backend)
e1 = taskflow.engines.load(flow, flow_detail=fd, book=book, backend=backend, store={'s': 1})
ENGINE['e'] = e1
p1 = run_phase(e1)
p1['atom_states'] = snapshot(e1, ['a', 'b', 'c'])
# fresh objects for the flow (same names), same flow detail
flow2 = lin()
with contextlib.closing(backend.get_connection()) as conn:
    fd2 = conn.get_flow_details(fd.uuid)
e2 = taskflow.engines.load(flow2, flow_detail=fd2, book=book, backend=backend)
ENGINE['e'] = e2
p2 = run_phase(e2)
p2['atom_states'] = snapshot(e2, ['a', 'b', 'c'])
p2['results'] = ser(e2.storage.fetch_all())
S['resume_in_new_engine'] = {'first': p1, 'second': p2}

# 3 an atom left RUNNING (crash) is run again on resume; SUCCESS ones are not
flow = lf.Flow('f').add(T('a', ret='A', provides='x'), T('b', ret='B', requires=['x'], provides='y'),
                        T('c', ret='C', requires=['y']))
fd = pu.create_flow_detail(flow, book=book, backend=backend)
e1 = taskflow.engines.load(flow, flow_detail=fd, book=book, backend=backend)
e1.compile()
e1.prepare()
e1.storage.save('a', 'A', 'SUCCESS')
e1.storage.set_atom_state('b', 'RUNNING')
e1.storage.set_flow_state('RUNNING')  # the process died mid-run
with contextlib.closing(backend.get_connection()) as conn:
    fd2 = conn.get_flow_details(fd.uuid)
flow2 = lf.Flow('f').add(T('a', ret='A2', provides='x'), T('b', ret='B', requires=['x'], provides='y'),
                         T('c', ret='C', requires=['y']))
e2 = taskflow.engines.load(flow2, flow_detail=fd2, book=book, backend=backend)
p = run_phase(e2)
p['atom_states'] = snapshot(e2, ['a', 'b', 'c'])
p['results'] = ser(e2.storage.fetch_all())
S['resume_atom_left_running'] = p

# 4 suspend during revert, then run again: the revert continues
flow = lf.Flow('f').add(T('a', ret='A'), RevertSuspender('b', ret='B'), T('c', fail='c failed'))
e = taskflow.engines.load(flow)
ENGINE['e'] = e
p1 = run_phase(e)
p1['atom_states'] = snapshot(e, ['a', 'b', 'c'])
p2 = run_phase(e)
p2['atom_states'] = snapshot(e, ['a', 'b', 'c'])
S['suspend_during_revert'] = {'first': p1, 'second': p2}

# 5 flow-level transitions for the main outcomes
S['flow_events_success'], _ = run(lf.Flow('f').add(T('a')))
S['flow_events_reverted'], _ = run(lf.Flow('f').add(T('a'), T('b', fail='b failed')))
S['flow_events_revert_failure'], _ = run(lf.Flow('f').add(T('a', revert_fail='a revert failed'),
                                                          T('b', fail='b failed')))

# 6 suspend before anything runs (suspend called on a not-yet-running engine is a no-op?)
e = taskflow.engines.load(lf.Flow('f').add(T('a', ret='A')))
try:
    e.suspend()
    sus = None
except Exception as ex:
    sus = err_view(ex)
r = run_phase(e)
r['suspend_raised'] = sus
S['suspend_before_run'] = r

# 7 run a SUCCESS flow again: nothing re-runs
e = taskflow.engines.load(lf.Flow('f').add(T('a', ret='A', provides='x')))
run_phase(e)
S['run_again_after_success'] = run_phase(e)

save('suspend', S)
