"""Progress notifications a task's progress listeners receive (explicit updates plus the engine's 0.0/1.0)."""
import taskflow.engines
from taskflow import task
from taskflow.patterns import linear_flow as lf

from common import err_view, save


class P(task.Task):
    def execute(self):
        self.update_progress(0.5)
        return 1


class F(task.Task):
    def execute(self):
        raise RuntimeError('x')


p, f = P('p'), F('f')
seen = []
for t in (p, f):
    t.notifier.register(task.EVENT_UPDATE_PROGRESS,
                        lambda event_type, details, name=t.name: seen.append([name, details['progress']]))
e = taskflow.engines.load(lf.Flow('x').add(p, f))
try:
    e.run()
    raised = None
except Exception as ex:
    raised = err_view(ex)
save('progress', {'progress_sequence': {'progress': seen, 'raised': raised}})
