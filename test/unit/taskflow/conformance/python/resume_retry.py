"""Suspend inside a retried sub-flow and resume in a new engine: the retry history survives persistence."""
import contextlib

import taskflow.engines
from taskflow import retry
from taskflow.patterns import linear_flow as lf
from taskflow.persistence import backends
from taskflow.persistence import models
from taskflow.utils import persistence_utils as pu

from common import CALLS, T, err_view, save, ser

S = {}
ENGINE = {}


class MaybeSuspend(T):
    """Fails on attempt 1; on attempt 2 succeeds and asks the engine to suspend."""

    def execute(self, **kwargs):
        r = super(MaybeSuspend, self).execute(**kwargs)
        if kwargs['attempt'] == 2 and ENGINE.get('e') is not None:
            ENGINE['e'].suspend()
        return r


def build():
    return lf.Flow('f', retry=retry.Times(3, name='r', provides='attempt')).add(
        MaybeSuspend('b', requires=['attempt'], fail=lambda kw: 'attempt %d failed' % kw['attempt'] if kw['attempt'] < 2 else None,
                     ret=lambda kw: kw['attempt'], provides='bv'),
        T('c', requires=['bv'], ret=lambda kw: kw['bv'] * 10, provides='cv'))


def phase(e):
    del CALLS[:]
    events, flow_events = [], []
    e.notifier.register(e.notifier.ANY, lambda state, details: flow_events.append(state))
    e.atom_notifier.register(e.atom_notifier.ANY, lambda state, details: events.append(
        '%s %s' % (details.get('task_name') or details.get('retry_name'), state)))
    try:
        e.run()
        raised = None
    except Exception as ex:
        raised = err_view(ex)
    hist = [{'result': ser(r), 'failures': sorted(f.keys())} for r, f in e.storage.get_retry_history('r')]
    return {'raised': raised, 'events': list(events), 'flow_events': list(flow_events), 'calls': list(CALLS),
            'flow_state': e.storage.get_flow_state(),
            'atom_states': {n: e.storage.get_atom_state(n) for n in ('r', 'b', 'c')},
            'history': hist, 'results': ser(e.storage.fetch_all())}


backend = backends.fetch({'connection': 'memory://'})
with contextlib.closing(backend.get_connection()) as conn:
    conn.upgrade()
book = models.LogBook('book')
flow = build()
fd = pu.create_flow_detail(flow, book=book, backend=backend)
e1 = taskflow.engines.load(flow, flow_detail=fd, book=book, backend=backend)
ENGINE['e'] = e1
p1 = phase(e1)
ENGINE['e'] = None
with contextlib.closing(backend.get_connection()) as conn:
    fd2 = conn.get_flow_details(fd.uuid)
e2 = taskflow.engines.load(build(), flow_detail=fd2, book=book, backend=backend)
p2 = phase(e2)
S['suspend_in_retry_resume_new_engine'] = {'first': p1, 'second': p2}
save('resume_retry', S)
