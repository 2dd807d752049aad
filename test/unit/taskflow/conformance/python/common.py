"""Shared helpers for recording real TaskFlow 5.0 behaviour as JSON expectations.

Run every scenario script with Debian's interpreter (the one with TaskFlow):
    /usr/bin/python3 test/unit/taskflow/conformance/python/<area>.py
Each script writes <area>.json next to itself; the jest conformance tests read those files.
"""
import collections
import re
import json
import os
import sys
import traceback

import taskflow.engines
from taskflow import exceptions as exc
from taskflow import states
from taskflow import task
from taskflow.types import failure as tf_failure

HERE = os.path.dirname(os.path.abspath(__file__))

CALLS = []  # every execute/revert call in order (reset per scenario)


class Boom(Exception):
    """The error our fake tasks raise (translated to a `Boom` class in TS)."""


def ser(v):
    """JSON-able view of a value TaskFlow hands to a task or stores."""
    if isinstance(v, tf_failure.Failure):
        return {'failure': list(v)[0],
                'message': v.exception_str}
    if isinstance(v, dict):
        return {str(k): ser(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [ser(x) for x in v]
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    return repr(v)


class T(task.Task):
    """Generic recording task.

    ret: value returned (or callable(kwargs) -> value); fail: message to raise from execute;
    revert_fail: message to raise from revert.
    """

    def __init__(self, name, ret=None, fail=None, revert_fail=None, **kw):
        super(T, self).__init__(name=name, **kw)
        self._ret = ret
        self._fail = fail
        self._revert_fail = revert_fail

    def execute(self, **kwargs):
        CALLS.append({'op': 'execute', 'atom': self.name, 'args': ser(kwargs)})
        if self._fail is not None:
            f = self._fail
            if callable(f):
                f = f(kwargs)
            if f is not None:
                raise Boom(f)
        r = self._ret
        return r(kwargs) if callable(r) else r

    def revert(self, result=None, flow_failures=None, **kwargs):
        CALLS.append({'op': 'revert', 'atom': self.name, 'args': ser(kwargs),
                      'result': ser(result),
                      'flow_failures': {k: ser(v) for k, v in sorted((flow_failures or {}).items())}})
        if self._revert_fail is not None:
            raise Boom(self._revert_fail)


def err_view(e):
    out = {'class': type(e).__name__, 'message': str(e)}
    if isinstance(e, exc.WrappedFailure):
        out['inner'] = sorted([{'class': list(f)[0], 'message': f.exception_str} for f in e],
                              key=lambda d: d['message'])
    if isinstance(e, exc.MissingDependencies):
        out['missing'] = list(e.missing_requirements)
        per_atom = []
        c = e
        while c is not None:
            m = re.match(r"'(\w+)' method on '\"(.+?)==", str(c).split('\n')[0])
            if m:
                per_atom.append({'method': m.group(1), 'atom': m.group(2),
                                 'missing': list(c.missing_requirements)})
            c = c.cause
        out['per_atom'] = per_atom
    return out


def atom_names(e):
    if e.compilation is None:
        return []
    return [n.name for n, d in e.compilation.execution_graph.nodes(data=True)
            if d['kind'] in ('task', 'retry')]


def run(flow, store=None, engine='serial', run_it=True, listen=True, **options):
    """Load + run a flow; return everything observable."""
    del CALLS[:]
    events = []
    flow_events = []
    out = {}
    try:
        e = taskflow.engines.load(flow, store=store, engine=engine, **options)
    except Exception as ex:  # load-time error
        out['error'] = err_view(ex)
        out['error_at'] = 'load'
        out['calls'] = list(CALLS)
        return out, None
    if listen:
        def on_flow(state, details):
            flow_events.append(state)

        def on_atom(state, details):
            name = details.get('task_name') or details.get('retry_name')
            ev = {'atom': name, 'old': details.get('old_state'), 'state': state}
            if 'result' in details:
                ev['result'] = ser(details['result'])
            events.append(ev)
        e.notifier.register(e.notifier.ANY, on_flow)
        e.atom_notifier.register(e.atom_notifier.ANY, on_atom)
    if run_it:
        try:
            e.run()
            out['raised'] = None
        except Exception as ex:
            out['raised'] = err_view(ex)
    out['flow_events'] = flow_events
    out['events'] = ['%s %s' % (ev['atom'], ev['state']) for ev in events]
    out['event_details'] = events
    out['calls'] = list(CALLS)
    out['flow_state'] = e.storage.get_flow_state()
    names = atom_names(e)
    out['atom_states'] = {n: e.storage.get_atom_state(n) for n in sorted(names)}
    try:
        out['results'] = ser(e.storage.fetch_all())
    except Exception as ex:
        out['results'] = {'error': err_view(ex)}
    return out, e


def save(area, scenarios):
    path = os.path.join(HERE, area + '.json')
    with open(path, 'w') as fh:
        json.dump({'_recorded_with': 'taskflow ' + __import__('taskflow.version', fromlist=['x']).version_string(),
                   'scenarios': scenarios}, fh, indent=1, sort_keys=True)
        fh.write('\n')
    print('wrote %s (%d scenarios)' % (path, len(scenarios)))
