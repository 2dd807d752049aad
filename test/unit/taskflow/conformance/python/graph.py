"""Graph flows with link deciders (IGNORE), nested flows (linear in unordered in graph)."""
from taskflow.patterns import graph_flow as gf
from taskflow.patterns import linear_flow as lf
from taskflow.patterns import unordered_flow as uf

from common import CALLS, T, run, save, ser

S = {}
DECIDER_CALLS = []


def decider(answer, tag):
    def d(history):
        DECIDER_CALLS.append({'decider': tag, 'history': ser(dict(history))})
        return answer
    return d


def scen(name, flow, **kw):
    del DECIDER_CALLS[:]
    out, e = run(flow, **kw)
    out['decider_calls'] = list(DECIDER_CALLS)
    S[name] = out


# decider says no: c and what only depends on c are IGNOREd
def g1(answer):
    g = gf.Flow('g')
    a, b, c, d = T('a', ret='A', provides='x'), T('b', ret='B'), T('c', ret='C', provides='y'), T('d', requires=['y'])
    g.add(a, b, c, d)
    g.link(a, c, decider=decider(answer, 'a->c'))
    return g


scen('decider_false_ignores_successors', g1(False))
scen('decider_true_runs', g1(True))


# decider depth ATOM: only the target atom is ignored, its successors still run
def g2(depth):
    g = gf.Flow('g')
    a, c, d = T('a', ret='A'), T('c', ret='C'), T('d', ret='D')
    g.add(a, c, d)
    g.link(a, c, decider=decider(False, 'a->c'), decider_depth=depth)
    g.link(c, d)
    return g


scen('decider_depth_atom', g2('ATOM'))
scen('decider_depth_all', g2('ALL'))


# decider on a link to a sub-flow: depth FLOW ignores the whole sub-flow only
def g3(depth):
    g = gf.Flow('g')
    a = T('a', ret='A')
    sub = lf.Flow('sub').add(T('s1', ret=1), T('s2', ret=2))
    z = T('z', ret='Z')
    g.add(a, sub, z)
    g.link(a, sub, decider=decider(False, 'a->sub'), decider_depth=depth)
    g.link(sub, z)
    return g


scen('decider_subflow_depth_flow', g3('FLOW'))
scen('decider_subflow_depth_all', g3('ALL'))


# two deciders into one node: both must say yes
def g4(ans1, ans2):
    g = gf.Flow('g')
    a, b, c = T('a', ret='A'), T('b', ret='B'), T('c', ret='C')
    g.add(a, b, c)
    g.link(a, c, decider=decider(ans1, 'a->c'))
    g.link(b, c, decider=decider(ans2, 'b->c'))
    return g


scen('two_deciders_one_false', g4(True, False))

# decider reads the predecessor's result
def g5():
    g = gf.Flow('g')
    a, c = T('a', ret=5, provides='x'), T('c', ret='C')
    g.add(a, c)
    g.link(a, c, decider=lambda history: (DECIDER_CALLS.append({'decider': 'a->c', 'history': ser(dict(history))}) or history['a'] > 3))
    return g


scen('decider_sees_results', g5())


# failure after an IGNOREd atom: ignored atoms are not reverted
def g6():
    g = gf.Flow('g')
    a, c, f = T('a', ret='A'), T('c', ret='C'), T('f', fail='f failed')
    g.add(a, c, f)
    g.link(a, c, decider=decider(False, 'a->c'))
    g.link(c, f, decider_depth='ATOM') if False else g.link(a, f)
    return g


scen('ignored_then_failure', g6())

# nested: linear in unordered in graph
def nested(fail=False):
    g = gf.Flow('g')
    start = T('start', ret='S', provides='s')
    u = uf.Flow('u').add(
        lf.Flow('l1').add(T('l1a', requires=['s'], ret=1, provides='p1'),
                          T('l1b', requires=['p1'], ret=2, provides='q1')),
        lf.Flow('l2').add(T('l2a', requires=['s'], ret=3, provides='p2'),
                          T('l2b', requires=['p2'], ret=4, provides='q2', fail='l2b failed' if fail else None)))
    end = T('end', requires=['q1', 'q2'], ret='E', provides='e')
    g.add(start, u, end)
    return g


scen('nested_linear_in_unordered_in_graph', nested())
scen('nested_linear_in_unordered_in_graph_fail', nested(True))

# graph with explicit link only (no data) orders atoms
def g7():
    g = gf.Flow('g')
    a, b, c = T('a', ret='A'), T('b', ret='B'), T('c', ret='C')
    g.add(c, b, a)
    g.link(a, b)
    g.link(b, c)
    return g


scen('graph_links_order', g7())

# graph containing a linear subflow that provides to a later graph node
def g8():
    g = gf.Flow('g')
    sub = lf.Flow('sub').add(T('s1', ret=1, provides='one'), T('s2', requires=['one'], ret=2, provides='two'))
    g.add(T('use', requires=['two'], ret=None), sub)
    return g


scen('graph_subflow_provides', g8())

# decider on a link *from* a sub-flow: which results does it see?
def g9(answer):
    g = gf.Flow('g')
    sub = lf.Flow('sub').add(T('s1', ret=1), T('s2', ret=2))
    t = T('t', ret='T')
    g.add(sub, t)
    g.link(sub, t, decider=decider(answer, 'sub->t'))
    return g


scen('decider_from_subflow_false', g9(False))
scen('decider_from_subflow_true', g9(True))

# an ATOM-depth "no" on a provider leaves its consumer without the value: NotFound at run time, flow FAILURE
def g10():
    g = gf.Flow('g')
    a, b, c = T('a', ret='A'), T('b', ret='B', provides='x'), T('c', requires=['x'], ret='C')
    g.add(a, b, c)
    g.link(a, b, decider=decider(False, 'a->b'), decider_depth='ATOM')
    return g


scen('ignored_provider_consumer_not_found', g10())

# TaskFlow's test_run_graph_flow_decider_various_depths with NEIGHBORS: a sub-flow successor is not a "neighbor atom"
def g11(depth):
    sub = gf.Flow('g_1').add(T('g_1-1', ret=5))
    g1, g2, g3, g4 = [T(n, ret=5) for n in ('g-1', 'g-2', 'g-3', 'g-4')]
    flow = gf.Flow('g').add(g1, g2, sub, g3, g4)
    flow.link(g1, g2, decider=lambda history: False, decider_depth=depth)
    flow.link(g2, sub)
    flow.link(g2, g3)
    flow.link(g3, g4)
    flow.link(g1, sub, decider=lambda history: True, decider_depth=depth)
    return flow


for depth in ('ALL', 'ATOM', 'FLOW', 'NEIGHBORS'):
    scen('various_depths_%s' % depth.lower(), g11(depth))

# FLOW depth does not go through a nested flow: atoms after it in the outer flow still run
def g12(depth):
    g = gf.Flow('g')
    a, t, z = T('a', ret='A'), T('t', ret='T'), T('z', ret='Z')
    sub = lf.Flow('sub').add(T('s1', ret=1))
    g.add(a, t, sub, z)
    g.link(a, t, decider=lambda history: False, decider_depth=depth)
    g.link(t, sub)
    g.link(sub, z)
    return g


for depth in ('FLOW', 'NEIGHBORS'):
    scen('through_subflow_%s' % depth.lower(), g12(depth))

save('graph', S)
