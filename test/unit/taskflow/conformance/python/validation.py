"""Validation errors: missing deps, ambiguous providers, duplicate names, graph cycles (and *when* they raise)."""
from taskflow.patterns import graph_flow as gf
from taskflow.patterns import linear_flow as lf
from taskflow.patterns import unordered_flow as uf

from common import CALLS, T, err_view, run, save

S = {}


def build(fn):
    """Run a flow builder; report an error raised while building (add/link)."""
    try:
        return fn(), None
    except Exception as ex:
        return None, dict(err_view(ex), at='build')


def scenario(name, fn, store=None):
    flow, err = build(fn)
    if err:
        S[name] = {'raised': err, 'calls': []}
        return
    out, _ = run(flow, store=store)
    if out.get('raised'):
        out['raised']['at'] = 'run'
    if out.get('error'):
        out['raised'] = dict(out.pop('error'), at='load')
    S[name] = out


# missing deps across several atoms, all reported, nothing runs
scenario('missing_several_atoms', lambda: lf.Flow('f').add(
    T('a', ret=1, provides='x'),
    T('b', requires=['x', 'p']),
    T('c', requires=['q', 'r', 'x'])))
# store satisfies part of it
scenario('missing_partially_from_store', lambda: lf.Flow('f').add(
    T('b', requires=['p', 'q'])), store={'p': 1})
# optional names never count as missing
scenario('optional_never_missing', lambda: lf.Flow('f').add(
    T('b', requires=['p'], rebind={'p': 'p'})), store={'p': 1})
# graph: missing
scenario('graph_missing', lambda: gf.Flow('g').add(T('a', requires=['nope'], provides='x'), T('b', requires=['x'])))
# rebind onto a missing name
scenario('rebind_to_missing_name', lambda: lf.Flow('f').add(T('a', ret=1, provides='x'),
                                                           T('b', requires=['v'], rebind={'v': 'zz'})))

# duplicate names
scenario('duplicate_names_linear', lambda: lf.Flow('f').add(T('a'), T('a')))
scenario('duplicate_names_nested', lambda: lf.Flow('f').add(T('a'), uf.Flow('u').add(T('b'), T('a'))))
scenario('duplicate_names_graph', lambda: gf.Flow('g').add(T('a'), T('a')))

# ambiguity
scenario('ambiguous_unordered_two_providers', lambda: lf.Flow('f').add(
    uf.Flow('u').add(T('a', ret=1, provides='x'), T('b', ret=2, provides='x')),
    T('c', requires=['x'])))
scenario('ambiguous_graph_two_providers', lambda: gf.Flow('g').add(
    T('a', ret=1, provides='x'), T('b', ret=2, provides='x'), T('c', requires=['x'])))
scenario('linear_two_providers_not_ambiguous', lambda: lf.Flow('f').add(
    T('a', ret=1, provides='x'), T('b', ret=2, provides='x'), T('c', requires=['x'])))
scenario('unordered_two_providers_no_consumer', lambda: uf.Flow('u').add(
    T('a', ret=1, provides='x'), T('b', ret=2, provides='x')))
scenario('ambiguous_but_store_has_it', lambda: lf.Flow('f').add(
    uf.Flow('u').add(T('a', ret=1, provides='x'), T('b', ret=2, provides='x')),
    T('c', requires=['x'])), store={'x': 'store'})


# graph cycles
def cyc_links():
    g = gf.Flow('g')
    a, b, c = T('a'), T('b'), T('c')
    g.add(a, b, c)
    g.link(a, b)
    g.link(b, c)
    g.link(c, a)
    return g


scenario('graph_cycle_links', cyc_links)
scenario('graph_cycle_data', lambda: gf.Flow('g').add(T('a', requires=['y'], provides='x'),
                                                      T('b', requires=['x'], provides='y')))


def self_link():
    g = gf.Flow('g')
    a = T('a')
    g.add(a)
    g.link(a, a)
    return g


scenario('graph_self_link', self_link)


def link_unknown():
    g = gf.Flow('g')
    a = T('a')
    g.add(a)
    g.link(a, T('zz'))
    return g


scenario('graph_link_unknown_atom', link_unknown)


def link_vs_data_cycle():
    g = gf.Flow('g')
    a, b = T('a', ret=1, provides='x'), T('b', requires=['x'])
    g.add(a, b)
    g.link(b, a)
    return g


scenario('graph_link_against_data_order', link_vs_data_cycle)

# empty flow
scenario('empty_flow', lambda: lf.Flow('f'))

save('validation', S)
