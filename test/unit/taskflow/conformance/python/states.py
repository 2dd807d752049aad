"""TaskFlow 5.0's state constants and transition tables (flow, task, retry), every (old, new) pair."""
from taskflow import exceptions as exc
from taskflow import states as st

from common import save

FLOW = ['PENDING', 'RUNNING', 'SUCCESS', 'FAILURE', 'REVERTED', 'SUSPENDING', 'SUSPENDED', 'RESUMING']
ATOM = ['PENDING', 'RUNNING', 'SUCCESS', 'FAILURE', 'REVERTING', 'REVERTED', 'REVERT_FAILURE', 'IGNORE', 'RETRYING']
for s in FLOW + ATOM:
    assert getattr(st, s) == s


def table(check, names):
    out = {}
    for a in names:
        for b in names:
            try:
                out['%s->%s' % (a, b)] = 'allowed' if check(a, b) else 'ignored'
            except exc.InvalidState:
                out['%s->%s' % (a, b)] = 'invalid'
    return out


save('states', {
    'flow': table(st.check_flow_transition, FLOW),
    'task': table(st.check_task_transition, ATOM),
    'retry': table(st.check_retry_transition, ATOM),
    'intentions': list(st.INTENTIONS),
})
